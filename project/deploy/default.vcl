# Varnish (Debian 12's 7.1, with varnish-modules' xkey) as the edge cache
# between nginx and Broadsheet's app servers: nginx -> varnish -> gunicorn.
#
# A deployment starts from this file as it is; `make stack` runs it on loopback
# (project/services/stack.py). Three placeholders between at-signs are filled
# at start: APP_SERVERS, one `backend app_N { ... }` per gunicorn (each with
# `.probe = healthz;`), ADD_APP_SERVERS, one `app_servers.add_backend(app_N);`
# each, and PURGERS, the app servers' addresses (one `"address";` each), the
# only clients whose PURGE is obeyed. The probe's Host must be one of the
# app's ALLOWED_HOSTS: give each backend a `.host_header` when its address is not.
#
# What the app says decides what is stored (apps/caching/pipeline.py): public
# pages send `Cache-Control: public, max-age=<browser>, s-maxage=<edge>,
# stale-while-revalidate=..., stale-if-error=...` and an `xkey` header naming
# each post and list the page shows, so a change purges exactly those pages
# (apps/caching/edge.py). Anything private, or setting a cookie, is passed.

vcl 4.1;

import directors;
import std;
import xkey;

probe healthz {
    .url = "/healthz";
    .interval = 2s;
    .timeout = 2s;
    .window = 3;
    .threshold = 2;
}

@APP_SERVERS@

acl purgers {
@PURGERS@
}

sub vcl_init {
    new app_servers = directors.round_robin();
@ADD_APP_SERVERS@
}

sub vcl_recv {
    set req.backend_hint = app_servers.backend();

    # Surrogate-key purges, sent by the app's Celery task after a commit:
    # `xkey-softpurge` marks the pages stale (served in grace while one fetch
    # refreshes them), `xkey-purge` removes them (a retraction must not be served again).
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            return (synth(200, "Purged " + xkey.purge(req.http.xkey-purge)));
        }
        if (req.http.xkey-softpurge) {
            return (synth(200, "Soft-purged " + xkey.softpurge(req.http.xkey-softpurge)));
        }
        return (synth(400, "Name the keys in xkey-purge or xkey-softpurge"));
    }

    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(admin|preview)(/|$)" || req.url ~ "^/healthz") {
        return (pass);
    }
    # Signed in, or a reader who just wrote (apps/replicas/router.py): the app
    # verifies the signed cookie; the edge cannot, so it passes every such request.
    # A made-up marker only costs its sender the app's own page cache.
    if (req.http.Cookie ~ "(^|;\s*)(broadsheet_signed_in|broadsheet_wrote)=") {
        return (pass);
    }
    # Any other cookie proves nothing (a made-up sessionid): readers' pages are
    # the same without it, so it is dropped and the page served from the edge.
    unset req.http.Cookie;

    # One stored page per page: tracking parameters dropped, the rest sorted
    # (the app's canonical query lists its parameters in the same sorted order).
    set req.url = regsuball(req.url, "(?<=[?&])(utm_[a-z_]+|gclid|fbclid|msclkid|mc_cid|mc_eid|_ga)=[^&]*&?", "");
    set req.url = regsub(req.url, "[?&]+$", "");
    set req.url = std.querysort(req.url);
    # The only encoding stored is gzip (Varnish compresses what it stores, below).
    if (req.http.Accept-Encoding ~ "gzip") {
        set req.http.Accept-Encoding = "gzip";
    } else {
        unset req.http.Accept-Encoding;
    }

    # Stale-while-revalidate: with the app servers up, a stale page is served
    # for this long while one background fetch refreshes it (the app's
    # CACHE_STALE_WHILE_REVALIDATE); with them down, for the whole grace the
    # response gave (stale-if-error), below.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 30s;
    }
    return (hash);
}

sub vcl_backend_response {
    # Never stored: what the app did not mark public, what is private or sets a cookie.
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)"
        || (beresp.status == 200 && beresp.http.Cache-Control !~ "public")) {
        set beresp.uncacheable = true;
        set beresp.ttl = 60s;
        return (deliver);
    }
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
    }
    if (beresp.http.Content-Type ~ "^(text/|application/(json|xml|rss\+xml|atom\+xml|javascript))") {
        set beresp.do_gzip = true;
    }
    return (deliver);
}

sub vcl_backend_fetch {
    # The app answers the edge from Redis, never from a process's memory: a fetch
    # right after a purge must not store a copy from before the change.
    set bereq.http.X-Edge-Fetch = "1";
}

# An app server that died since its last probe: a read tries the next one
# (the director's next pick), as nginx does; a POST is never sent twice.
sub vcl_backend_error {
    if (bereq.retries == 0 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        return (retry);
    }
}

sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "hit";
    } else {
        set resp.http.X-Cache = "miss";
    }
    # The keys are the edge's business; the app's own copy of them is enough for a CDN above.
    unset resp.http.xkey;
}
