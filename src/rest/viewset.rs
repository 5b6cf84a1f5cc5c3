//! DRF's `ModelViewSet`: list, create, retrieve, update, partial update
//! and destroy, written once over a resource's [`Model`]. A resource gives
//! its queries and its serializer; this gives the rest, in DRF's order:
//! the object first (404, then its permissions: 403), then the body (400).

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::FutureExt;

use super::parsers;
use super::root::base_url;
use super::route::{Object, ViewName, ViewSet, action};
use super::serializer::{Mode, Serializer};
use super::view::RequestContext;
use crate::db::listing::{Listed, Listing};
use crate::error::ApiError;
use crate::policy::PermissionClass;
use crate::rest::listing::ListDecl;
use crate::state::AppState;

/// A resource's model: its serializer and its queries. The handlers run
/// on their worker's thread, so the futures need not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Model: Sized + 'static {
    /// What a write may change (the serializer's `set`s fill it).
    type Changes: Default + 'static;

    /// The fields, declared once.
    fn serializer() -> &'static Serializer<Self, Self::Changes>;

    /// The rows the caller may see, as `listing` asks.
    async fn list(
        state: &AppState,
        ctx: &RequestContext,
        listing: Listing,
    ) -> Result<Listed<Self>, ApiError>;

    /// The object a detail route's id names, with what object permissions
    /// see of it; `None` when there is none.
    async fn get(state: &AppState, id: &str) -> Result<Option<(Self, Object)>, ApiError>;

    /// Refuses a create before its body is read (a rule on the caller,
    /// not on the data).
    async fn may_create(_state: &AppState, _ctx: &RequestContext) -> Result<(), ApiError> {
        Ok(())
    }

    async fn create(
        state: &AppState,
        ctx: &RequestContext,
        changes: Self::Changes,
    ) -> Result<Self, ApiError>;

    /// Sets the given fields; `None` when the object went meanwhile.
    async fn update(
        state: &AppState,
        object: Self,
        changes: Self::Changes,
    ) -> Result<Option<Self>, ApiError>;

    /// Whether it was still there to delete.
    async fn destroy(state: &AppState, object: Self) -> Result<bool, ApiError>;
}

/// What a resource declares besides its model: DRF's router `register`
/// arguments and the viewset's attributes.
pub struct Declaration {
    pub basename: &'static str,
    pub prefix: &'static str,
    /// The regular expression a detail id matches (`[0-9]+`: Django's `<int:…>`).
    pub lookup: &'static str,
    pub list: ViewName,
    pub detail: ViewName,
    /// The viewset's `permission_classes`; `None` takes the settings' default.
    pub permission_classes: Option<Vec<PermissionClass>>,
    /// Classes the detail route has in addition, whatever settings say.
    pub detail_always: Vec<PermissionClass>,
    /// The viewset's `throttle_scope` (ScopedRateThrottle's key in the rates).
    pub throttle_scope: Option<&'static str>,
    /// `search_fields`, `ordering_fields`, `ordering`.
    pub listing: ListDecl,
}

/// The viewset of model `M`, for the router to register.
pub fn model_viewset<M: Model>(declaration: Declaration) -> ViewSet {
    ViewSet {
        basename: declaration.basename,
        prefix: declaration.prefix,
        lookup: declaration.lookup,
        list: declaration.list,
        detail: declaration.detail,
        list_actions: vec![
            action(Method::GET, list::<M>),
            action(Method::POST, create::<M>),
        ],
        detail_actions: vec![
            action(Method::GET, retrieve::<M>),
            action(Method::PUT, update::<M>),
            action(Method::PATCH, partial_update::<M>),
            action(Method::DELETE, destroy::<M>),
        ],
        permission_classes: declaration.permission_classes,
        detail_always: declaration.detail_always,
        throttle_scope: declaration.throttle_scope,
        fields: Arc::from(M::serializer().specs()),
        object: Arc::new(|state, id| {
            async move { Ok(M::get(&state, &id).await?.map(|(_, object)| object)) }.boxed_local()
        }),
        listing: declaration.listing,
    }
}

/// DRF's `list`: the filter backends and the paginator in force on the route.
async fn list<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let policy = ctx
        .route
        .listing
        .as_ref()
        .ok_or_else(|| ApiError::internal("a list route without its list policy"))?;
    let request = policy.request(&req)?;
    let found = M::list(&state, &ctx, request.listing.clone()).await?;
    let serializer = M::serializer();
    let rendered = Listed {
        rows: found
            .rows
            .iter()
            .map(|row| serializer.render(row))
            .collect(),
        count: found.count,
        more: found.more,
        first: found.first.clone(),
        last: found.last.clone(),
    };
    request.respond(&req, || base_url(&req, &state), rendered)
}

async fn create<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    M::may_create(&state, &ctx).await?;
    let data = parsers::parse(&req, payload, state.settings.server.max_body_bytes).await?;
    let changes = M::serializer().validate(&data, Mode::Create)?;
    let created = M::create(&state, &ctx, changes).await?;
    Ok(HttpResponse::Created().json(M::serializer().render(&created)))
}

/// DRF's `get_object`: the object, 404 when there is none, then the
/// route's object permissions (403), before anything else happens to it.
async fn get_object<M: Model>(
    state: &AppState,
    ctx: &RequestContext,
    method: &Method,
    id: &str,
) -> Result<M, ApiError> {
    let (found, object) = M::get(state, id).await?.ok_or(ApiError::NotFound)?;
    ctx.route
        .permissions
        .check_object(method, &ctx.principal, &object.view())?;
    Ok(found)
}

async fn retrieve<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = get_object::<M>(&state, &ctx, req.method(), &id).await?;
    Ok(HttpResponse::Ok().json(M::serializer().render(&found)))
}

async fn update<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    save::<M>(state, ctx, req, &id, payload, Mode::Update).await
}

async fn partial_update<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    save::<M>(state, ctx, req, &id, payload, Mode::Partial).await
}

/// PUT and PATCH: the object first (404, 403), then the body (400). Fields
/// not given keep their values (DRF's `update` sets only validated fields),
/// so a PUT without an optional field keeps it.
async fn save<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: &str,
    payload: web::Payload,
    mode: Mode,
) -> Result<HttpResponse, ApiError> {
    let found = get_object::<M>(&state, &ctx, req.method(), id).await?;
    let data = parsers::parse(&req, payload, state.settings.server.max_body_bytes).await?;
    let changes = M::serializer().validate(&data, mode)?;
    let saved = M::update(&state, found, changes)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(M::serializer().render(&saved)))
}

async fn destroy<M: Model>(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = get_object::<M>(&state, &ctx, req.method(), &id).await?;
    if M::destroy(&state, found).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}
