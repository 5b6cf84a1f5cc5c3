//! Limits applied before routing: oversized request heads get a JSON 431.
//! (Heads over actix-web's own 128 KiB ceiling, or with more than 96
//! headers, are refused by actix-web itself with an empty 431.)

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::ApiError;

/// Bytes of the request line and headers, as sent on the wire (near enough).
fn head_bytes(req: &ServiceRequest) -> usize {
    let target = req.uri().path_and_query().map_or(1, |pq| pq.as_str().len());
    let line = req.method().as_str().len() + target + 12;
    req.headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum::<usize>()
        + line
}

pub async fn limit_head(
    max_header_bytes: usize,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if head_bytes(&req) > max_header_bytes {
        log::info!("request refused: headers over {max_header_bytes} bytes");
        return Ok(req
            .error_response(ApiError::HeadersTooLarge)
            .map_into_boxed_body());
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
