// todoapi's SPA: sign in with auth0-spa-js (authorization code + PKCE), then
// list, add, edit and delete tasks. Its settings come from config.json: the
// server's development issuer in development, a real tenant otherwise.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
let auth0Client = null;
let config = null;

function notice(message) {
  const box = $("#notice");
  box.textContent = message || "";
  box.hidden = !message;
}

/** Shows DRF's field errors next to their fields; the rest in the notice. */
function showErrors(form, body) {
  for (const span of form.querySelectorAll(".error")) span.textContent = "";
  if (!body || typeof body !== "object") return;
  if (body.detail) {
    notice(body.detail);
    return;
  }
  for (const [field, messages] of Object.entries(body)) {
    const span = form.querySelector(`.error[data-field="${field}"]`);
    const text = Array.isArray(messages) ? messages.join(" ") : String(messages);
    if (span) span.textContent = text;
    else notice(`${field}: ${text}`);
  }
}

/** Calls the API with the user's token; returns the response and its JSON body. */
async function api(method, path, body) {
  const token = await auth0Client.getTokenSilently();
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // A page's `next` link is already absolute.
  const url = /^https?:/.test(path) ? path : `${config.apiBase}${path}`;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  if (response.status !== 204) {
    try {
      json = await response.json();
    } catch (_) {
      json = null;
    }
  }
  return { response, json };
}

/** The form's fields; an empty date is left out, so the server's default applies. */
function fields(form) {
  const data = {};
  for (const name of ["title", "content", "due_date"]) {
    const value = form.elements[name].value;
    if (name !== "due_date" || value !== "") data[name] = value;
  }
  return data;
}

function render(tasks) {
  const list = $("#tasks");
  list.replaceChildren();
  for (const task of tasks) {
    const item = $("#task").content.firstElementChild.cloneNode(true);
    item.dataset.id = task.id;
    $(".title", item).textContent = task.title;
    $(".content", item).textContent = task.content;
    $(".due", item).textContent = task.due_date;
    $(".due", item).dateTime = task.due_date;
    const editor = $(".editor", item);
    $(".edit", item).addEventListener("click", () => {
      editor.elements.title.value = task.title;
      editor.elements.content.value = task.content;
      editor.elements.due_date.value = task.due_date;
      editor.hidden = false;
      $(".view", item).hidden = true;
    });
    $(".cancel", item).addEventListener("click", () => {
      editor.hidden = true;
      $(".view", item).hidden = false;
    });
    editor.addEventListener("submit", async (event) => {
      event.preventDefault();
      const { response, json } = await api("PUT", `/task/${task.id}/`, fields(editor));
      if (response.ok) await refresh();
      else showErrors(editor, json);
    });
    $(".delete", item).addEventListener("click", async () => {
      const { response, json } = await api("DELETE", `/task/${task.id}/`);
      if (response.ok) await refresh();
      else showErrors(editor, json);
    });
    list.append(item);
  }
}

/** The tasks shown so far: all of a bare list, or the pages read of a paginated one. */
let shown = [];

/**
 * Reads the list, or its next page: a bare array (the original's API), or a
 * DRF page ({results, next}), whose further pages "More" appends.
 */
async function load(path) {
  const { response, json } = await api("GET", path);
  if (!response.ok) {
    notice((json && json.detail) || `The API answered ${response.status}.`);
    return;
  }
  const page = Array.isArray(json) ? { results: json, next: null } : json;
  shown = shown.concat(page.results || []);
  render(shown);
  const more = $("#more");
  more.hidden = !page.next;
  more.onclick = page.next ? () => load(page.next) : null;
}

async function refresh() {
  notice("");
  shown = [];
  await load("/task/");
}

async function main() {
  config = await (await fetch("config.json", { cache: "no-store" })).json();
  const home = window.location.origin + window.location.pathname;
  auth0Client = await window.auth0.createAuth0Client({
    domain: config.domain,
    clientId: config.clientId,
    cacheLocation: "localstorage",
    authorizationParams: {
      audience: config.audience,
      redirect_uri: home,
      scope: "openid profile email",
    },
  });
  const query = new URLSearchParams(window.location.search);
  if (query.has("state") && (query.has("code") || query.has("error"))) {
    try {
      await auth0Client.handleRedirectCallback();
    } catch (error) {
      notice(`Sign-in failed: ${error.message}`);
    }
    window.history.replaceState({}, document.title, window.location.pathname);
  }
  const signedIn = await auth0Client.isAuthenticated();
  $("#sign-in").hidden = signedIn;
  $("#sign-out").hidden = !signedIn;
  $("#signed-in").hidden = !signedIn;
  $("#signed-out").hidden = signedIn;
  $("#sign-in").addEventListener("click", () => auth0Client.loginWithRedirect());
  $("#sign-out").addEventListener("click", () =>
    auth0Client.logout({ logoutParams: { returnTo: home } }),
  );
  if (!signedIn) return;
  const user = await auth0Client.getUser();
  $("#who").textContent = user ? user.name || user.sub : "";
  const add = $("#add");
  add.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { response, json } = await api("POST", "/task/", fields(add));
    if (response.ok) {
      add.reset();
      showErrors(add, null);
      await refresh();
    } else {
      showErrors(add, json);
    }
  });
  await refresh();
}

main().catch((error) => notice(`Cannot start: ${error.message}`));
