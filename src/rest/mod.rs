//! The Django REST framework layer, as far as it has moved here: how a list
//! route is filtered and paginated (`listing.rs`), DRF's paginators
//! (`pagination.rs`, `cursor.rs`), filter backends (`filters.rs`), the query
//! string and links as DRF reads and writes them (`query.rs`), a list's
//! part of the OpenAPI document (`schema.rs`), throttles over the cache
//! (`throttling.rs`), and Python's
//! notion of whitespace (`text.rs`). It knows no resource: a viewset
//! declares its columns and fields, and gets all of this.

pub mod cursor;
pub mod fields;
pub mod filters;
pub mod listing;
pub mod metadata;
pub mod negotiation;
pub mod openapi;
pub mod pagination;
pub mod parsers;
pub mod permissions;
pub mod query;
pub mod root;
pub mod route;
pub mod router;
pub mod schema;
pub mod serializer;
pub mod text;
pub mod throttling;
pub mod view;
pub mod viewset;
