//! Route handlers, one module per URL prefix.

pub(crate) mod health;
