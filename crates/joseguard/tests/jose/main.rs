//! The library's integration tests, one binary: round trips, one test per rejection rule, the
//! conformance vectors of ../shared/vectors (read in place), known attacks, properties and
//! interoperability with an independent implementation.

mod attacks;
mod common;
mod examples;
mod interop;
mod jwe_rejections;
mod jwe_roundtrip;
mod jwt;
mod key_hygiene;
mod mldsa;
mod properties;
mod rejections;
mod roundtrip;
mod vectors_cookbook;
mod vectors_joserfc;
mod vectors_jwe;
mod vectors_latchset;
mod vectors_rfc;
