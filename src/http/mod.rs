//! HTTP plumbing that knows no resource and no DRF: CORS, the limits on a
//! request's head, trusted proxies, request IDs, static files and the
//! fallback answer.

pub mod cors;
pub mod files;
pub mod limits;
pub mod logging;
pub mod observe;
pub mod proxy;
pub mod request_id;
