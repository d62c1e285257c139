/* Talking to the wasteopt API: fetch with the session cookie, problem documents shown next to
   the fields they name, a banner while the server cannot be reached, a login box on 401. */
"use strict";

window.DeskApi = (() => {
  const { t } = window.DeskI18n;
  const WRITE_HEADER = { "X-Requested-With": "wasteopt-desk" }; // CSRF guard for cookie sessions
  let onLogin = () => {};

  class ApiFailure extends Error {
    /** status 0 means the server could not be reached. */
    constructor(status, problem) {
      super(problem.detail || problem.title || String(status));
      this.status = status;
      this.problem = problem;
    }
  }

  function setConnected(connected) {
    document.getElementById("connection").hidden = connected;
  }

  async function request(method, url, { json, body, headers = {} } = {}) {
    const sent = { ...headers };
    if (method !== "GET" && method !== "HEAD") Object.assign(sent, WRITE_HEADER);
    if (json !== undefined) {
      sent["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(url, { method, headers: sent, body, credentials: "same-origin" });
    } catch (error) {
      setConnected(false);
      throw new ApiFailure(0, { title: "offline", detail: t("connection_lost") });
    }
    setConnected(true);
    if (response.ok) return response;
    let problem;
    try {
      problem = await response.json();
    } catch (error) {
      problem = { title: response.statusText, detail: `${response.status} ${response.statusText}` };
    }
    if (response.status === 401) showLogin();
    throw new ApiFailure(response.status, problem);
  }

  async function getJson(url) {
    return (await request("GET", url)).json();
  }

  async function send(method, url, json) {
    return (await request(method, url, { json })).json();
  }

  // --- errors next to their fields ---------------------------------------------------------

  function clearErrors(form) {
    for (const el of form.querySelectorAll(".field-error, .form-error")) {
      el.textContent = "";
      el.hidden = true;
    }
  }

  /** ``name`` and the locations it lies in, longest first: "events[2].point" is in
      "events[2]", which is in "events". */
  function enclosing(name) {
    const keys = [name];
    for (let i = name.length - 1; i > 0; i--) if (".[ ".includes(name[i])) keys.push(name.slice(0, i));
    return keys;
  }

  /** The field-error element of ``form`` for an API location such as "points[3].lat" or
      "query parameter base": the one for the location or the nearest location it lies in;
      ``aliases`` maps other locations (or the ones they lie in) to fields. */
  function fieldFor(form, loc, aliases) {
    const name = String(loc).replace(/^(query|path|header) parameter /, "");
    for (const key of enclosing(name)) {
      const field = aliases[key] ?? key;
      const el = form.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
      if (el) return el;
    }
    if (aliases["*"]) return form.querySelector(`.field-error[data-for="${aliases["*"]}"]`);
    return null;
  }

  /** ``msg`` as shown at ``el``: with the location it names, relative to the element's own. */
  function named(el, loc, msg) {
    const own = el?.dataset.for;
    if (own === loc) return msg;
    return own && loc.startsWith(`${own}.`) ? `${loc.slice(own.length + 1)}: ${msg}` : `${loc}: ${msg}`;
  }

  function say(el, text) {
    el.textContent = el.textContent ? `${el.textContent}\n${text}` : text;
    el.hidden = false;
  }

  /** Show a failed request in ``form``: each problem next to its field, the rest below it. */
  function showFailure(form, failure, aliases = {}) {
    clearErrors(form);
    const general = form.querySelector(".form-error");
    if (!(failure instanceof ApiFailure)) {
      say(general, String(failure.message || failure));
      return;
    }
    const problem = failure.problem || {};
    const errors = problem.errors && problem.errors.length ? problem.errors : null;
    if (!errors) {
      const el = fieldFor(form, failure.status === 404 ? "instance_id" : "*", aliases);
      say(el || general, problem.detail || problem.title);
      return;
    }
    for (const { loc, msg } of errors) {
      const el = fieldFor(form, loc, aliases);
      say(el || general, named(el, String(loc), msg));
    }
  }

  // --- login -------------------------------------------------------------------------------

  function showLogin() {
    document.getElementById("login").hidden = false;
    document.querySelector("#login input").focus();
  }

  function setupLogin(afterLogin) {
    onLogin = afterLogin;
    const form = document.getElementById("login-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      const key = new FormData(form).get("key");
      try {
        await request("POST", "/v1/session", { json: { key } });
        form.reset();
        document.getElementById("login").hidden = true;
        document.getElementById("logout").hidden = false;
        onLogin();
      } catch (failure) {
        showFailure(form, failure, { "*": "key" });
      }
    });
    document.getElementById("logout").addEventListener("click", async () => {
      try {
        await request("DELETE", "/v1/session");
      } finally {
        document.getElementById("logout").hidden = true;
        showLogin();
      }
    });
  }

  return { ApiFailure, request, getJson, send, clearErrors, showFailure, setupLogin };
})();
