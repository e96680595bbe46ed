//! Route handlers, one module per URL prefix.

pub(crate) mod api;
pub(crate) mod health;
