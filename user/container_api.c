/* The Engine API of Docker and Podman over their unix sockets: HTTP by
 * libcurl (CURLOPT_UNIX_SOCKET_PATH), JSON by json-c. Both are dlopened,
 * the first time a container has to be named: nstrace's package only
 * Recommends them, and watch, doctor and topo run without them (containers
 * are then labelled by pid). The headers give the types, so each pointer is
 * checked against the real prototype. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include "container.h"

#define CURL_LIB "libcurl.so.4"
#define API_TIMEOUT_MS 1000L   /* a local socket: a daemon slower than this is stuck */
#define JSONC_LIB "libjson-c.so.5"

#define CURL_FUNCS(X) X(curl_easy_init) X(curl_easy_setopt) X(curl_easy_perform) \
	X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror) X(curl_easy_escape) \
	X(curl_free)
#define JSON_FUNCS(X) X(json_tokener_parse) X(json_object_put) X(json_object_object_get_ex) \
	X(json_object_get_string) X(json_object_get_int) X(json_object_is_type) \
	X(json_object_array_length) X(json_object_array_get_idx)
#define API_PTR(f) static __typeof__(f) *p_##f;
CURL_FUNCS(API_PTR)
JSON_FUNCS(API_PTR)
static char api_why[256];

static int api_load(void)
{
	static int state;   /* 0 not tried, 1 loaded, -1 missing */
	void *hc, *hj;

	if (state)
		return state > 0 ? 0 : -ENOENT;
	state = -1;
	hc = dlopen(CURL_LIB, RTLD_NOW | RTLD_LOCAL);
	hj = hc ? dlopen(JSONC_LIB, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (!hc || !hj) {
		snprintf(api_why, sizeof(api_why), "%s (install %s to name Docker and Podman "
			 "containers)", dlerror(), hc ? "libjson-c5" : "libcurl4");
		if (hc)
			dlclose(hc);
		return -ENOENT;
	}
#define API_SYM(h, lib, f) \
	if (!(p_##f = (__typeof__(f) *)dlsym(h, #f))) { \
		snprintf(api_why, sizeof(api_why), "%s has no %s", lib, #f); \
		return -ENOENT; \
	}
#define CURL_SYM(f) API_SYM(hc, CURL_LIB, f)
#define JSON_SYM(f) API_SYM(hj, JSONC_LIB, f)
	CURL_FUNCS(CURL_SYM)
	JSON_FUNCS(JSON_SYM)
	state = 1;
	return 0;
}

const char *container_api_status(void)
{
	static char s[320];

	if (!api_load())
		return CURL_LIB " and " JSONC_LIB " loaded (Docker and Podman container names)";
	snprintf(s, sizeof(s), "not available: %s", api_why);
	return s;
}

/* "unix:///run/x.sock" -> "/run/x.sock"; other schemes are not ours. */
static const char *unix_path(const char *env, const char *def, char *buf, size_t len)
{
	const char *v = getenv(env);

	if (v && *v) {
		if (strncmp(v, "unix://", 7))
			return NULL;
		v += 7;
	} else {
		v = def;
	}
	snprintf(buf, len, "%s", v);
	return access(buf, F_OK) ? NULL : buf;
}

const char *container_socket(const char *runtime, char *buf, size_t len)
{
	if (!strcmp(runtime, "docker"))
		return unix_path("DOCKER_HOST", "/var/run/docker.sock", buf, len);
	if (!strcmp(runtime, "podman"))
		return unix_path("CONTAINER_HOST", "/run/podman/podman.sock", buf, len);
	return NULL;
}

struct body {
	char *p;
	size_t n;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *ctx)
{
	struct body *b = ctx;
	size_t add = sz * nm;
	char *p;

	if (b->n + add > (4u << 20) || !(p = realloc(b->p, b->n + add + 1)))
		return 0;   /* an answer this large is not an inspect: stop */
	memcpy(p + b->n, d, add);
	b->n += add;
	p[b->n] = 0;
	b->p = p;
	return add;
}

/* GET PATH on SOCK: the HTTP status, or -errno; *OUT gets the body. */
static int api_get(const char *sock, const char *path, char **out, char *why, size_t whylen)
{
	struct body b = { 0 };
	char url[512];
	long code = 0;
	CURLcode rc;
	CURL *h = p_curl_easy_init();

	*out = NULL;
	if (!h)
		return -ENOMEM;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	p_curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	p_curl_easy_setopt(h, CURLOPT_URL, url);
	p_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	p_curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, API_TIMEOUT_MS);
	p_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	p_curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	rc = p_curl_easy_perform(h);
	if (rc == CURLE_OK)
		p_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	else
		snprintf(why, whylen, "%s: %s", sock, p_curl_easy_strerror(rc));
	p_curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		free(b.p);
		return -ECONNREFUSED;
	}
	*out = b.p;
	return (int)code;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!o || !p_json_object_object_get_ex(o, key, &v) || !p_json_object_is_type(v, json_type_string))
		return NULL;
	return p_json_object_get_string(v);
}

static struct json_object *jobj(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && p_json_object_object_get_ex(o, key, &v) &&
	       p_json_object_is_type(v, json_type_object) ? v : NULL;
}

static void copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

int container_parse_inspect(const char *json, struct container *c, int *pid)
{
	struct json_object *root, *state, *labels, *v;
	const char *id, *name;

	if (api_load() || !(root = p_json_tokener_parse(json)))
		return -1;
	id = jstr(root, "Id");
	name = jstr(root, "Name");
	if (!id || !p_json_object_is_type(root, json_type_object)) {
		p_json_object_put(root);
		return -1;
	}
	copy(c->id, sizeof(c->id), id);
	copy(c->name, sizeof(c->name), name && *name == '/' ? name + 1 : name);
	state = jobj(root, "State");
	*pid = state && p_json_object_object_get_ex(state, "Pid", &v) ? p_json_object_get_int(v) : 0;
	/* Kubernetes over Docker (cri-dockerd) says the pod in labels. */
	labels = jobj(jobj(root, "Config"), "Labels");
	copy(c->pod, sizeof(c->pod), jstr(labels, "io.kubernetes.pod.name"));
	copy(c->pod_ns, sizeof(c->pod_ns), jstr(labels, "io.kubernetes.pod.namespace"));
	copy(c->pod_uid, sizeof(c->pod_uid), jstr(labels, "io.kubernetes.pod.uid"));
	p_json_object_put(root);
	return 0;
}

/* Is the socket Podman's compatible one? GET /version names its engine. */
static int is_podman(const char *sock)
{
	static char asked[256];
	static int podman;
	char *body, why[64];

	if (!strcmp(asked, sock))
		return podman;
	podman = 0;
	if (api_get(sock, "/version", &body, why, sizeof(why)) == 200 && body) {
		podman = strstr(body, "\"Podman Engine\"") != NULL;
		snprintf(asked, sizeof(asked), "%s", sock);
	}
	free(body);
	return podman;
}

/* A runtime that did not answer is not asked again for a while: every
 * namespace listing asks about each new container, and a hung daemon must
 * not stall watch's re-plans (each request may wait API_TIMEOUT_MS). */
#define API_QUIET_S 10

int container_api_inspect(const char *runtime, const char *id, struct container *c, int *pid,
			  char *why, size_t whylen)
{
	static time_t quiet_until[2];
	time_t *quiet = &quiet_until[!strcmp(runtime, "podman")];
	char sock[256], path[320], *body, *esc;
	int code;

	if (!container_socket(runtime, sock, sizeof(sock))) {
		snprintf(why, whylen, "no %s socket (%s)", runtime, !strcmp(runtime, "docker") ?
			 "/var/run/docker.sock, or DOCKER_HOST=unix://PATH" :
			 "/run/podman/podman.sock, or CONTAINER_HOST=unix://PATH");
		return -ENOENT;
	}
	if (api_load()) {
		snprintf(why, whylen, "%s", api_why);
		return -ENOENT;
	}
	if (time(NULL) < *quiet) {
		snprintf(why, whylen, "%s did not answer a moment ago", sock);
		return -ECONNREFUSED;
	}
	if (!(esc = p_curl_easy_escape(NULL, id, 0)))
		return -ENOMEM;
	snprintf(path, sizeof(path), "/containers/%s/json", esc);
	p_curl_free(esc);
	code = api_get(sock, path, &body, why, whylen);
	if (code < 0)
		*quiet = time(NULL) + API_QUIET_S;
	if (code == 200 && body && !container_parse_inspect(body, c, pid)) {
		free(body);
		/* DOCKER_HOST may well point at Podman's socket. */
		copy(c->runtime, sizeof(c->runtime),
		     !strcmp(runtime, "docker") && is_podman(sock) ? "podman" : runtime);
		return 0;
	}
	free(body);
	if (code == 404)
		snprintf(why, whylen, "%s has no container '%s'", runtime, id);
	else if (code >= 0)
		snprintf(why, whylen, "%s answered HTTP %d for container '%s'", sock, code, id);
	return code == 404 ? -ENOENT : code < 0 ? code : -EIO;
}
