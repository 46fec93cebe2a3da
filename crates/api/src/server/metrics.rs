//! Prometheus metrics at `/metrics`: requests, latencies, queue depth, tokens/s, rail verdicts
//! by charter point, cache hits and refusals of load.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    pub requests: IntCounterVec,
    pub latency: HistogramVec,
    pub queue_waiting: IntGauge,
    pub generating: IntGauge,
    pub first_text: HistogramVec,
    pub decode_tokens_per_s: HistogramVec,
    pub generated_tokens: IntCounter,
    pub verdicts: IntCounterVec,
    pub cache_hits: IntCounter,
    pub rejected: IntCounterVec,
    pub handoffs: IntCounterVec,
    pub conversations: IntGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("orient".into()), None).expect("valid prefix");
        let requests = IntCounterVec::new(Opts::new("http_requests_total", "HTTP requests by route and status"), &["route", "status"]).unwrap();
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "Time to the response head (streams: to the first byte)")
                .buckets(vec![0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["route"],
        )
        .unwrap();
        let queue_waiting = IntGauge::new("generation_queue_waiting", "Answers waiting for a worker").unwrap();
        let generating = IntGauge::new("generation_running", "Answers being generated").unwrap();
        let first_text = HistogramVec::new(
            HistogramOpts::new("first_text_seconds", "Time from a chat request to its first checked text")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
            &["cached"],
        )
        .unwrap();
        let decode_tokens_per_s = HistogramVec::new(
            HistogramOpts::new("decode_tokens_per_second", "Generator decode speed per answer")
                .buckets(vec![1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0]),
            &["model"],
        )
        .unwrap();
        let generated_tokens = IntCounter::new("generated_tokens_total", "Tokens generated").unwrap();
        let verdicts =
            IntCounterVec::new(Opts::new("rail_verdicts_total", "Rail verdicts by charter point, rail and action"), &["point", "rail", "action"]).unwrap();
        let cache_hits = IntCounter::new("answer_cache_hits_total", "Answers served from the answer cache").unwrap();
        let rejected =
            IntCounterVec::new(Opts::new("rejected_requests_total", "Requests refused for load (queue_full, rate_limited, starting)"), &["reason"]).unwrap();
        let handoffs = IntCounterVec::new(Opts::new("handoffs_total", "Conversations handed to a counsellor"), &["priority"]).unwrap();
        let conversations = IntGauge::new("conversations", "Conversations in the state store").unwrap();
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(queue_waiting.clone()),
            Box::new(generating.clone()),
            Box::new(first_text.clone()),
            Box::new(decode_tokens_per_s.clone()),
            Box::new(generated_tokens.clone()),
            Box::new(verdicts.clone()),
            Box::new(cache_hits.clone()),
            Box::new(rejected.clone()),
            Box::new(handoffs.clone()),
            Box::new(conversations.clone()),
        ] {
            registry.register(c).expect("metrics registered once");
        }
        Metrics {
            registry,
            requests,
            latency,
            queue_waiting,
            generating,
            first_text,
            decode_tokens_per_s,
            generated_tokens,
            verdicts,
            cache_hits,
            rejected,
            handoffs,
            conversations,
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf).expect("text encoding");
        String::from_utf8(buf).unwrap_or_default()
    }
}
