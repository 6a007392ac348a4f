/* Containers by name: which container (Docker, Podman, containerd,
 * CRI-O, a Kubernetes pod) holds a process, and which process a container
 * named by the user runs.
 *
 * A process's cgroup path gives the runtime and the container id (and a
 * pod's uid); the names come from the runtime: Docker and Podman through
 * their Engine API on a unix socket (container_api.c: libcurl and json-c,
 * both dlopened so that hosts without them still run nstrace), Kubernetes
 * pods from kubelet's pod directories. Nothing here enters a namespace. */
#ifndef NST_CONTAINER_H
#define NST_CONTAINER_H

#include <stddef.h>

#define CT_ID_LEN 65
#define CT_NAME_LEN 64

struct container {
	char runtime[12];          /* "docker", "podman", "containerd", "cri-o"; "" none */
	char id[CT_ID_LEN];        /* full hex id when known */
	char name[CT_NAME_LEN];    /* "web"; "" when the runtime did not say */
	char pod[CT_NAME_LEN];     /* Kubernetes pod name, "" if none */
	char pod_ns[CT_NAME_LEN];  /* its Kubernetes namespace */
	char pod_uid[40];
};

/* ---- container.c: cgroups, kubelet, labels, finding by name ---- */

/* What /proc/PID/cgroup's TEXT says: runtime, id and pod uid. 0 when a
 * container was recognised, -1 otherwise (C cleared). */
int container_from_cgroup(const char *text, struct container *c);
/* The pod's name and namespace from kubelet's directory for C->pod_uid
 * (under NSTRACE_KUBELET_DIR, default /var/lib/kubelet). 0 or -1. */
int container_pod_from_kubelet(struct container *c);
/* The container holding PID, names included where a runtime tells them.
 * 0, or -1 when PID is in no container. Results are cached per process. */
int container_of_pid(int pid, struct container *c);
/* The stable label: "web", "pod:default/web", "containerd:0123456789ab";
 * "" when C is no container. PREFIX asks for "docker:web" (a name that an
 * ip netns name already takes). */
const char *container_label(const struct container *c, int prefix, char *buf, size_t len);
/* Is SPEC a container target form ("docker:", "podman:", "pod:", "id:")? */
int container_spec_explicit(const char *spec);
/* A process in the container SPEC names ("web", "docker:web",
 * "podman:web", "pod:NS/NAME", "id:PREFIX"): its pid, or -errno with a
 * sentence in ERR. */
int container_find(const char *spec, struct container *c, char *err, size_t errlen);

/* ---- container_api.c: the Engine API of Docker and Podman ---- */

/* Inspect the container ID (a name, an id or a prefix) on RUNTIME's socket
 * ("docker" or "podman"): fills C, *PID (0 if not running). 0, -ENOENT when
 * the runtime has no such container, other -errno when it cannot be asked
 * (WHY says why). */
int container_api_inspect(const char *runtime, const char *id, struct container *c, int *pid,
			  char *why, size_t whylen);
/* The Engine API's inspect JSON to C and *PID: 0, or -1 when it is not one. */
int container_parse_inspect(const char *json, struct container *c, int *pid);
/* The unix socket path RUNTIME is asked on (DOCKER_HOST, CONTAINER_HOST
 * honoured when unix://), or NULL. */
const char *container_socket(const char *runtime, char *buf, size_t len);
/* For nstrace features: whether libcurl and json-c can be loaded. */
const char *container_api_status(void);

#endif
