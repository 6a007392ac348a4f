/* ICMP errors in words, the probe-answer rule, and --pcap's one packet
 * once (no root: the pcapng file is read back here). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "icmp_names.h"
#include "pcap.h"
#include "unit.h"

static void names_v4_v6(void)
{
	char b[64];

	CHECK(!strcmp(icmp_error_name(0, 3, 0, b, sizeof(b)), "net-unreachable"), "3/0");
	CHECK(!strcmp(icmp_error_name(0, 3, 13, b, sizeof(b)), "admin-prohibited"), "3/13");
	CHECK(!strcmp(icmp_error_name(0, 11, 0, b, sizeof(b)), "ttl-exceeded"), "11/0");
	CHECK(!strcmp(icmp_error_name(0, 5, 1, b, sizeof(b)), "redirect-host"), "5/1");
	CHECK(!strcmp(icmp_error_name(1, 1, 0, b, sizeof(b)), "no-route"), "v6 1/0");
	CHECK(!strcmp(icmp_error_name(1, 2, 0, b, sizeof(b)), "packet-too-big"), "v6 2/0");
	CHECK(!strcmp(icmp_error_name(1, 3, 0, b, sizeof(b)), "hop-limit-exceeded"), "v6 3/0");
	/* v4 type 3 is not v6 type 3. */
	CHECK(!strcmp(icmp_error_class(1, 3), "time_exceeded") && !strcmp(icmp_error_class(0, 3), "unreachable"),
	      "classes by family");
	CHECK(!strcmp(icmp_error_name(0, 3, 99, b, sizeof(b)), "unreachable code 99"), "unknown code: %s", b);
	CHECK(!icmp_error_class(0, 8), "an echo request is no error");
}

static void probe_answers(void)
{
	CHECK(icmp_probe_answer(0, 11, 0, NST_ORIG_TRACEROUTE), "traceroute's TTL exceeded");
	CHECK(icmp_probe_answer(0, 11, 0, NST_ORIG_ECHO), "ping -t / mtr");
	CHECK(icmp_probe_answer(1, 3, 0, NST_ORIG_ECHO), "v6 hop limit, echo");
	CHECK(icmp_probe_answer(0, 3, 3, NST_ORIG_TRACEROUTE), "traceroute's last hop");
	CHECK(!icmp_probe_answer(0, 11, 0, NST_ORIG_OTHER), "TTL exceeded of other traffic: a loop?");
	CHECK(!icmp_probe_answer(0, 3, 3, NST_ORIG_OTHER), "a closed port");
	CHECK(!icmp_probe_answer(0, 3, 0, NST_ORIG_ECHO), "net unreachable for a ping");
}

static struct nst_event packet(uint32_t type, uint64_t ts, uint8_t id)
{
	struct nst_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.ts = ts;
	e.netns = 4026532001U;
	e.ifindex = 2;
	e.data_kind = NST_DATA_NET;
	e.caplen = e.wirelen = 40;
	e.data[0] = 0x45;
	e.data[5] = id;
	e.data[8] = 64;    /* TTL: not compared */
	e.data[9] = 6;
	return e;
}

/* EPB blocks in a pcapng file, and the first one's comment. */
static int packets_in(const char *path, char *comment, size_t len)
{
	FILE *f = fopen(path, "rb");
	uint32_t hdr[2];
	int n = 0;

	comment[0] = 0;
	while (f && fread(hdr, 4, 2, f) == 2 && hdr[1] >= 12) {
		uint8_t *b = malloc(hdr[1] - 8);

		if (!b || fread(b, 1, hdr[1] - 8, f) != hdr[1] - 8) {
			free(b);
			break;
		}
		if (hdr[0] == 6 && !n++) {
			uint32_t cap = *(uint32_t *)(b + 12), off = 20 + ((cap + 3) & ~3U);
			uint16_t olen = *(uint16_t *)(b + off + 2);

			snprintf(comment, len, "%.*s", (int)olen, (char *)b + off + 4);
		}
		free(b);
	}
	if (f)
		fclose(f);
	return n;
}

static void pcap_one_packet_once(void)
{
	char path[] = "/tmp/nstrace-unit-XXXXXX", comment[2048];
	int fd = mkstemp(path);
	struct pcap p;
	struct nst_event syn = packet(NST_EV_RESET_SENT, 1000, 1), drop = packet(NST_EV_DROP, 2000, 1),
			 other = packet(NST_EV_DROP, 3000, 2);

	if (!CHECK(fd >= 0, "mkstemp"))
		return;
	close(fd);
	drop.data[8] = 63;
	CHECK(!pcap_open(&p, path, 0), "open");
	pcap_write(&p, &syn, "blue:veth-blue", "answered with a TCP reset");
	pcap_write(&p, &drop, "blue:veth-blue", "drop NO_SOCKET");
	pcap_write(&p, &other, "blue:veth-blue", "drop NO_SOCKET");
	CHECK(!pcap_close(&p), "close");
	CHECK(p.packets == 2, "written %llu, want 2", (unsigned long long)p.packets);
	CHECK(packets_in(path, comment, sizeof(comment)) == 2, "blocks in the file");
	CHECK_STR_HAS(comment, "answered with a TCP reset; drop NO_SOCKET");
	unlink(path);
}

const struct unit_test icmp_tests[] = {
	{ "icmp_names_v4_v6", names_v4_v6 },
	{ "icmp_probe_answers", probe_answers },
	{ "pcap_one_packet_once", pcap_one_packet_once },
	{ NULL, NULL },
};
