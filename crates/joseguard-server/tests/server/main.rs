//! The server's integration tests, one binary: the real server and real peers (a recording
//! backend, nginx, Redis, CRL servers) on loopback ports. Each module is one area of behaviour.

mod common;
mod gateway;
mod hsm;
mod nginx;
mod pki;
mod request_handling;
mod signing;
mod x5c;
