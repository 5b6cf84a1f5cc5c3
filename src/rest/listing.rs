//! A list route's policy, as DRF's `ListModelMixin.list` runs it:
//! `filter_queryset` (the filter backends in force), `paginate_queryset`
//! (the pagination class in force), then a bare list or a page. A viewset
//! declares what may be searched and ordered ([`ListDecl`]); settings say
//! which backends and which paginator apply ([`ListPolicy::new`]).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::filters;
use super::pagination::{Found, Paginator, Requested};
use super::query::QueryParams;
use crate::db::listing::{Kind, Listed, Listing, OrderBy, Window};
use crate::error::ApiError;
use crate::policy::{FilterBackend, PaginationClass};
use crate::settings::RestFrameworkSettings;

/// What a viewset declares of its list, beside its fields (the default:
/// nothing to search or order by).
#[derive(Debug, Clone, Default)]
pub struct ListDecl {
    /// The columns the database layer can search and order by, by field
    /// name (`db::listing::Column`), in its order.
    pub columns: Vec<(&'static str, Kind)>,
    /// DRF's `search_fields`.
    pub search_fields: &'static [&'static str],
    /// DRF's `ordering_fields`.
    pub ordering_fields: &'static [&'static str],
    /// DRF's `ordering`: the default.
    pub ordering: &'static [&'static str],
    /// A unique field, added last to every ordering so that pages are stable.
    pub unique: &'static str,
}

/// A list route's declaration with the settings in force on it.
#[derive(Debug, Clone)]
pub struct ListPolicy {
    decl: ListDecl,
    pub paginator: Option<Paginator>,
    /// The query parameter of each backend in force.
    pub search_param: Option<String>,
    pub ordering_param: Option<String>,
    /// The listing of a request that asks nothing (the default ordering, everything).
    plain: Listing,
}

/// One request's list query, and what its answer needs.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub listing: Listing,
    params: QueryParams,
    requested: Option<Requested>,
    ordering: String,
}

/// A page's body: DRF's `OrderedDict` in its order; a cursor page has no count.
#[derive(Serialize)]
struct Page<T> {
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<i64>,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<T>,
}

impl ListPolicy {
    pub fn new(route: &str, decl: ListDecl, rf: &RestFrameworkSettings) -> ListPolicy {
        let class: Option<PaginationClass> = rf
            .pagination
            .get(route)
            .copied()
            .unwrap_or(rf.default_pagination_class);
        let backends = rf.filters.get(route).unwrap_or(&rf.default_filter_backends);
        let on = |backend: FilterBackend, param: &str| {
            backends.contains(&backend).then(|| param.to_owned())
        };
        let mut policy = ListPolicy {
            paginator: class.map(|class| Paginator {
                class,
                page: rf.page.clone(),
            }),
            search_param: on(FilterBackend::Search, &rf.search_param)
                .filter(|_| !decl.search_fields.is_empty()),
            ordering_param: on(FilterBackend::Ordering, &rf.ordering_param),
            plain: Listing {
                search: Vec::new(),
                search_columns: Vec::new(),
                ordering: Vec::new(),
                window: Window::All,
                count: false,
            },
            decl,
        };
        // The default ordering, resolved against the declaration once.
        policy.plain.ordering = policy.ordering_of(&[]);
        policy
    }

    pub fn decl(&self) -> &ListDecl {
        &self.decl
    }

    fn column(&self, field: &str) -> Option<usize> {
        self.decl
            .columns
            .iter()
            .position(|(name, _)| *name == field)
    }

    /// The requested ordering (or the default), each field once, then the unique field.
    fn ordering_of(&self, asked: &[(&str, bool)]) -> Vec<OrderBy> {
        let default: Vec<(&str, bool)> = self
            .decl
            .ordering
            .iter()
            .map(|f| match f.strip_prefix('-') {
                Some(field) => (field, true),
                None => (*f, false),
            })
            .collect();
        let terms = if asked.is_empty() {
            &default[..]
        } else {
            asked
        };
        let mut out: Vec<OrderBy> = Vec::new();
        for (field, descending) in terms.iter().chain([(self.decl.unique, false)].iter()) {
            if let Some(column) = self.column(field)
                && !out.iter().any(|o| o.column == column)
            {
                out.push(OrderBy {
                    column,
                    descending: *descending,
                });
            }
        }
        out
    }

    /// `title,-due_date,id`: what a cursor is bound to.
    fn ordering_text(&self, ordering: &[OrderBy]) -> String {
        ordering
            .iter()
            .map(|o| {
                let name = self.decl.columns.get(o.column).map_or("", |(n, _)| *n);
                if o.descending {
                    format!("-{name}")
                } else {
                    name.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads what the request asks: its search, ordering and page. A NUL in
    /// the search is a 400; a page or cursor that cannot be, a 404.
    pub fn request(&self, req: &HttpRequest) -> Result<ListRequest, ApiError> {
        if self.paginator.is_none() && self.search_param.is_none() && self.ordering_param.is_none()
        {
            return Ok(ListRequest {
                listing: self.plain.clone(),
                params: QueryParams::default(),
                requested: None,
                ordering: String::new(),
            });
        }
        let params = QueryParams::parse(req.query_string());
        let mut listing = self.plain.clone();
        if let Some(param) = &self.search_param
            && let Some(value) = params.get(param)
        {
            listing.search =
                filters::search_terms(value).map_err(|message| ApiError::field(param, message))?;
            listing.search_columns = self
                .decl
                .search_fields
                .iter()
                .filter_map(|f| self.column(f))
                .collect();
        }
        if let Some(param) = &self.ordering_param {
            let asked = filters::ordering(params.get(param), self.decl.ordering_fields);
            listing.ordering = self.ordering_of(&asked);
        }
        let ordering = self.ordering_text(&listing.ordering);
        let requested = match &self.paginator {
            Some(paginator) => {
                let kinds: Vec<Kind> = listing
                    .ordering
                    .iter()
                    .filter_map(|o| self.decl.columns.get(o.column).map(|(_, k)| *k))
                    .collect();
                let requested = paginator.read(&params, &ordering, &kinds)?;
                (listing.window, listing.count) = requested.window();
                Some(requested)
            }
            None => None,
        };
        Ok(ListRequest {
            listing,
            params,
            requested,
            ordering,
        })
    }
}

impl ListRequest {
    /// The answer: the bare list, or the page with its links (absolute,
    /// from `base`, the request's `scheme://host` as the client addressed
    /// it), also as an RFC 8288 `Link` header.
    pub fn respond<T: Serialize>(
        &self,
        req: &HttpRequest,
        base: impl FnOnce() -> String,
        listed: Listed<T>,
    ) -> Result<HttpResponse, ApiError> {
        let Some(requested) = &self.requested else {
            return Ok(HttpResponse::Ok().json(listed.rows));
        };
        let stem = format!("{}{}", base(), req.path());
        let url = |query: String| match query.is_empty() {
            true => stem.clone(),
            false => format!("{stem}?{query}"),
        };
        let found = Found {
            count: listed.count,
            more: listed.more,
            first: listed.first.as_ref(),
            last: listed.last.as_ref(),
        };
        let links = requested.links(&self.params, url, found, &self.ordering)?;
        let mut response = HttpResponse::Ok();
        let link: Vec<String> = [(&links.next, "next"), (&links.previous, "prev")]
            .into_iter()
            .filter_map(|(url, rel)| url.as_ref().map(|u| format!("<{u}>; rel=\"{rel}\"")))
            .collect();
        if !link.is_empty() {
            response.insert_header((header::LINK, link.join(", ")));
        }
        Ok(response.json(Page {
            count: links.count,
            next: links.next,
            previous: links.previous,
            results: listed.rows,
        }))
    }
}
