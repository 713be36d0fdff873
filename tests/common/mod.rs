//! Helpers shared by the integration tests. Each test binary uses a part of them.
#![allow(dead_code)]

pub mod durable;
pub mod engine;
pub mod http;
pub mod kafka;
pub mod lines;
pub mod prom;
pub mod seeds;
