/* Containers: cgroup paths as each runtime writes them, the Engine API's
 * inspect answer (as Docker 20.10 gave it, trimmed), kubelet's pod
 * directory, and the labels made of them. No runtime needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container.h"
#include "unit.h"

#define ID "df7904b9813578a7c2015cd75e756188632bbc0d3c37372a431ed4cd0ed8895b"
#define UID "5c7e1d3a-9b2f-4c8e-8a11-2f0d6b9c4e77"

static void cgroup_paths(void)
{
	static const struct { const char *text, *runtime, *id, *pod_uid; } cases[] = {
		/* cgroup v1, cgroupfs driver (as recorded here, Docker 20.10) */
		{ "9:name=systemd:/docker/" ID "\n4:memory:/docker/" ID "\n0::/docker/" ID "\n",
		  "docker", ID, "" },
		/* cgroup v2, systemd driver */
		{ "0::/system.slice/docker-" ID ".scope\n", "docker", ID, "" },
		{ "0::/machine.slice/libpod-" ID ".scope/container\n", "podman", ID, "" },
		{ "0::/libpod_parent/libpod-" ID "\n", "podman", ID, "" },
		/* Kubernetes: containerd (systemd), CRI-O, cgroupfs */
		{ "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		  "5c7e1d3a_9b2f_4c8e_8a11_2f0d6b9c4e77.slice/cri-containerd-" ID ".scope\n",
		  "containerd", ID, UID },
		{ "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
		  "5c7e1d3a_9b2f_4c8e_8a11_2f0d6b9c4e77.slice/crio-" ID ".scope\n", "cri-o", ID, UID },
		{ "0::/kubepods/burstable/pod" UID "/" ID "\n", "cri", ID, UID },
		/* dockerd --cgroup-parent /custom: a bare 64-digit id */
		{ "0::/custom/" ID "\n", "container", ID, "" },
		/* not containers */
		{ "0::/\n", NULL, NULL, NULL },
		{ "0::/user.slice/user-1000.slice/session-2.scope\n", NULL, NULL, NULL },
		{ "4:memory:/process_api/bb7ddac679841d4ebc2a289a16016cb7\n0::/\n", NULL, NULL, NULL },
		{ "0::/system.slice/docker.service\n", NULL, NULL, NULL },
		{ "0::/docker/abc\n", NULL, NULL, NULL },
		{ "garbage without colons", NULL, NULL, NULL },
		{ "", NULL, NULL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct container c;
		int ret = container_from_cgroup(cases[i].text, &c);

		if (!cases[i].runtime) {
			CHECK(ret == -1, "case %zu: taken for a %s container", i, c.runtime);
			continue;
		}
		if (!CHECK(ret == 0, "case %zu: not recognised", i))
			continue;
		CHECK(!strcmp(c.runtime, cases[i].runtime), "case %zu: runtime %s", i, c.runtime);
		CHECK(!strcmp(c.id, cases[i].id), "case %zu: id %s", i, c.id);
		CHECK(!strcmp(c.pod_uid, cases[i].pod_uid), "case %zu: pod uid %s", i, c.pod_uid);
	}
}

static void inspect_json(void)
{
	static const char docker[] =
		"{\"Id\":\"" ID "\",\"Created\":\"2026-12-03T07:03:46Z\",\"Path\":\"sleep\","
		"\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":386,\"ExitCode\":0},"
		"\"Name\":\"/web\",\"RestartCount\":0,\"Config\":{\"Hostname\":\"df7904b98135\","
		"\"Labels\":{}},\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":"
		"\"10.77.0.2\"}}}}";
	static const char k8s[] =
		"{\"Id\":\"" ID "\",\"State\":{\"Pid\":0},\"Name\":\"/k8s_POD_web-0_shop_x_0\","
		"\"Config\":{\"Labels\":{\"io.kubernetes.pod.name\":\"web-0\","
		"\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"" UID "\"}}}";
	struct container c = { 0 };
	char l[128];
	int pid = -1;

	if (!CHECK(container_parse_inspect(docker, &c, &pid) == 0, "docker's answer refused (%s)",
		   container_api_status()))
		return;
	CHECK(pid == 386 && !strcmp(c.name, "web") && !strcmp(c.id, ID), "pid %d name %s", pid,
	      c.name);
	strcpy(c.runtime, "docker");
	CHECK(!strcmp(container_label(&c, 0, l, sizeof(l)), "web"), "label %s", l);
	CHECK(!strcmp(container_label(&c, 1, l, sizeof(l)), "docker:web"), "prefixed %s", l);
	memset(&c, 0, sizeof(c));
	CHECK(container_parse_inspect(k8s, &c, &pid) == 0 && pid == 0, "stopped pod container");
	CHECK(!strcmp(c.pod, "web-0") && !strcmp(c.pod_ns, "shop") && !strcmp(c.pod_uid, UID),
	      "pod %s/%s", c.pod_ns, c.pod);
	strcpy(c.runtime, "docker");
	CHECK(!strcmp(container_label(&c, 0, l, sizeof(l)), "pod:shop/web-0"), "label %s", l);
	/* Not an inspect answer: refused, not half read. */
	CHECK(container_parse_inspect("{\"message\":\"No such container: x\"}", &c, &pid) == -1,
	      "an error answer taken for a container");
	CHECK(container_parse_inspect("[1,2]", &c, &pid) == -1, "an array taken");
	CHECK(container_parse_inspect("{\"Id\":", &c, &pid) == -1, "truncated JSON taken");
	CHECK(container_parse_inspect("", &c, &pid) == -1, "empty answer taken");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void kubelet_pods(void)
{
	char dir[] = "/tmp/nst-kubelet-XXXXXX", p[512];
	struct container c = { 0 };

	if (!CHECK(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(p, sizeof(p), "%s/pods", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pods/" UID, dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pods/" UID "/etc-hosts", dir);
	write_file(p, "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost "
		   "ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n10.244.1.7\tweb-0\n");
	snprintf(p, sizeof(p), "%s/pods/" UID "/volumes", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pods/" UID "/volumes/kubernetes.io~projected", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pods/" UID "/volumes/kubernetes.io~projected/kube-api-access-x7", dir);
	mkdir(p, 0755);
	strcat(p, "/namespace");
	write_file(p, "shop\n");
	setenv("NSTRACE_KUBELET_DIR", dir, 1);
	strcpy(c.pod_uid, UID);
	CHECK(container_pod_from_kubelet(&c) == 0, "pod not found in %s", dir);
	CHECK(!strcmp(c.pod, "web-0") && !strcmp(c.pod_ns, "shop"), "pod %s/%s", c.pod_ns, c.pod);
	strcpy(c.pod_uid, "../../etc");
	c.pod[0] = 0;
	CHECK(container_pod_from_kubelet(&c) == -1, "a uid with a path in it followed");
	unsetenv("NSTRACE_KUBELET_DIR");
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	CHECK(system(p) == 0, "rm");
}

static void target_forms(void)
{
	struct container c;
	char err[256];

	CHECK(container_spec_explicit("docker:web") && container_spec_explicit("podman:web") &&
	      container_spec_explicit("pod:shop/web-0") && container_spec_explicit("id:df79"),
	      "explicit forms");
	CHECK(!container_spec_explicit("web") && !container_spec_explicit("pid:1"), "bare names");
	CHECK(container_find("docker:", &c, err, sizeof(err)) == -22 &&
	      strstr(err, "expected docker:NAME"), "docker: %s", err);
	CHECK(container_find("pod:/x", &c, err, sizeof(err)) == -22, "pod:/x: %s", err);
	CHECK(container_find("pod:ns/", &c, err, sizeof(err)) == -22, "pod:ns/: %s", err);
	CHECK(container_find("id:xyz", &c, err, sizeof(err)) == -22 &&
	      strstr(err, "HEXPREFIX"), "id:xyz: %s", err);
}

const struct unit_test container_tests[] = {
	{ "container_cgroup_paths", cgroup_paths },
	{ "container_inspect_json", inspect_json },
	{ "container_kubelet_pods", kubelet_pods },
	{ "container_target_forms", target_forms },
	{ NULL, NULL },
};
