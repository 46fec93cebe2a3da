//! Local models for orient: where they come from (`models.toml`), how they are fetched and
//! checked, and the two contracts the rest of the code uses — [`Embedder`] and [`Generator`].
//! Nothing of candle leaks through those traits.

mod bert;
mod contract;
pub mod convert;
pub mod e5;
pub mod fetch;
pub mod load;
mod prompt_cache;
mod qwen2;
mod qwen_generator;
pub mod registry;
pub mod remote;
pub mod testing;

pub use contract::{ChatMessage, Embedder, GenerationRequest, GenerationStats, Generator, InferenceError, ModelInfo, Role, TextKind};
pub use e5::E5Embedder;
pub use load::LoadError;
pub use qwen_generator::QwenGenerator;
pub use registry::{orient_home, ModelSpec, Registry};
pub use remote::{Fallback, RemoteGenerator, RemoteSettings};

/// Threads for candle's CPU kernels: one per core; oversubscription collapses throughput.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
