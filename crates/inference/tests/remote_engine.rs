//! The remote generator against a real engine: llama.cpp's OpenAI-compatible server (the
//! llama-cpp-python package, which `.ci/run` installs) serving the project's own GGUF file,
//! started here on a free loopback port. Then the engine is stopped: the generator says so at
//! once, its breaker stops calling it, and the local model takes over behind `Fallback`.

use inference::{ChatMessage, Fallback, GenerationRequest, Generator, InferenceError, Registry, RemoteGenerator, RemoteSettings, Role};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Engine(Child);

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_engine(gguf: &std::path::Path, port: u16) -> Engine {
    let python = std::env::var("ORIENT_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python).args(["-c", "import llama_cpp.server"]).status().is_ok_and(|s| s.success());
    assert!(ok, "this test needs llama-cpp-python's server: python3 -m pip install 'llama-cpp-python[server]' (.ci/run installs it)");
    let child = Command::new(&python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(gguf)
        .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--n_threads", "2", "--n_ctx", "2048", "--model_alias", "qwen-remote"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 starts");
    let engine = Engine(child);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(180) {
        if agent.get(&format!("http://127.0.0.1:{port}/v1/models")).call().is_ok_and(|r| r.status() == 200) {
            return engine;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("llama.cpp's server did not start within 180 s");
}

fn request() -> GenerationRequest {
    let mut r = GenerationRequest::new(vec![
        ChatMessage::new(Role::System, "Tu réponds en français, en une phrase courte."),
        ChatMessage::new(Role::User, "Que fait un boulanger ?"),
    ]);
    r.max_tokens = 24;
    r
}

#[test]
fn sentences_stream_from_a_real_engine_and_the_local_model_takes_over_when_it_stops() {
    let home = inference::orient_home();
    let reg = Registry::builtin();
    let name = reg.roles.generator.clone();
    let gguf = reg.model(&name).unwrap().files(&name, &home).weights;
    assert!(gguf.exists(), "the generator is fetched by the README's test command: {}", gguf.display());
    let port = free_port();
    let engine = start_engine(&gguf, port);

    let mut settings = RemoteSettings::new(format!("http://127.0.0.1:{port}"), "qwen-remote");
    settings.retries = 0;
    settings.breaker_failures = 2;
    settings.breaker_cooldown = Duration::from_secs(600);
    let remote = Arc::new(RemoteGenerator::new(settings));
    let mut pieces = Vec::new();
    let stats = remote.generate(&request(), &mut |t| {
        pieces.push(t.to_string());
        true
    });
    let stats = stats.expect("the engine answers");
    let text = pieces.concat();
    assert!(pieces.len() > 1, "streamed in pieces: {pieces:?}");
    assert!(text.split_whitespace().count() >= 3, "a sentence: {text:?}");
    assert!(["stop", "length"].contains(&stats.finish_reason.as_str()), "{}", stats.finish_reason);
    assert_eq!(remote.info().name, "qwen-remote");
    assert!(remote.info().architecture.contains("remote"));

    // Stopping the reader stops the stream.
    let mut n = 0;
    let stats = remote
        .generate(&request(), &mut |_| {
            n += 1;
            false
        })
        .unwrap();
    assert_eq!((n, stats.finish_reason.as_str()), (1, "cancelled"));

    // The engine goes away: a clear error, quickly, then no more calls.
    drop(engine);
    for _ in 0..2 {
        let e = remote.generate(&request(), &mut |_| true).unwrap_err();
        assert!(matches!(e, InferenceError::Unavailable(_)), "{e}");
    }
    let t = Instant::now();
    assert!(remote.generate(&request(), &mut |_| true).unwrap_err().to_string().contains("suspended"));
    assert!(t.elapsed() < Duration::from_millis(100));

    // Behind `Fallback`, the local model writes the sentence instead.
    let local = reg.load_generator(None, &home, &mut |_: &str| {}).expect("the local model loads");
    let both = Fallback::new(remote, local);
    let mut text = String::new();
    both.generate(&request(), &mut |t| {
        text.push_str(t);
        true
    })
    .map(|stats| assert_eq!(stats.model.as_ref().map(|m| m.name.as_str()), Some(reg.roles.generator.as_str()), "the stats name the local model"))
    .expect("the local model answers");
    assert!(text.split_whitespace().count() >= 3, "{text:?}");
}
