//! JWS
