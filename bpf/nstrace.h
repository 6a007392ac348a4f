/* Shared between bpf/ and user/: fixed-width types and constants only.
 * Includes nothing itself; each side brings its own __u8..__u64. */
#ifndef NSTRACE_H
#define NSTRACE_H

/* Address families and IP protocols, named alike on both sides (the BPF
 * side has no libc headers). */
#define NST_AF_INET 2
#define NST_AF_INET6 10
#define NST_IPPROTO_ICMP 1
#define NST_IPPROTO_TCP 6
#define NST_IPPROTO_UDP 17
#define NST_IPPROTO_ICMPV6 58
#define NST_TCP_FIN 0x01
#define NST_TCP_SYN 0x02
#define NST_TCP_RST 0x04
#define NST_TCP_ACK 0x10

/* Key of the probe's drop counters (nstrace features). */
struct nst_probe_key {
	__u32 netns;   /* inode of the namespace the drop is charged to */
	__u32 reason;  /* enum skb_drop_reason, named from BTF at run time */
};

/* ---- watch ---- */

enum nst_dir { NST_INGRESS = 0, NST_EGRESS = 1 };

/* How a namespace is watched (value of the netns filter map). */
enum nst_ns_mode {
	NST_NS_ALL = 1,       /* every packet counts */
	NST_NS_ADDRS = 2,     /* only packets to or from a watched address */
};

enum nst_event_type {
	NST_EV_DROP = 1,
	NST_EV_RESET_SENT = 2,   /* this namespace sent a TCP reset */
	NST_EV_RESET_RECV = 3,   /* this namespace received one */
	NST_EV_ICMP_WIRE = 4,    /* an ICMP error seen on a port */
	NST_EV_ICMP_SENT = 5,    /* an ICMP error this namespace generated */
	NST_EV_SEEN = 6,         /* a packet on a port, sampled for --pcap-all */
	NST_EV_HOP = 7,          /* a traced packet passed a port (--journey) */
	NST_EV_LATENCY = 8,      /* a latency sample without its histogram (nst_lat_event) */
};

/* What watch --pcap asks of the kernel (nst_config.capture). */
enum nst_capture { NST_CAP_OFF = 0, NST_CAP_DROPS = 1, NST_CAP_ALL = 2 };

/* Where an event's packet bytes start. */
enum nst_data { NST_DATA_NONE = 0, NST_DATA_ETH = 1, NST_DATA_NET = 2 };
#define NST_SNAPLEN 128

/* The programs' settings: one read-only struct ("cfg" in the object's
 * rodata), filled by user space between open and load. The verifier sees
 * the values, so what is off costs nothing. */
struct nst_config {
	__u64 sample_ns;      /* one story per sample key per this interval */
	__u32 capture;        /* enum nst_capture */
	__u8 latency;         /* stamp packets on ports, time the hops */
	__u8 journey;         /* a story at every port for wanted packets */
	/* Kernels before 6.10 do not fire tcp_send_reset for a reset that
	 * answers a segment with no socket (a SYN to a closed port): count
	 * those from the NO_SOCKET drop that follows it in tcp_v4_rcv. */
	__u8 reset_from_drop;
	__u8 f_proto;         /* user filters (--proto, --port, --host/--net); 0: any */
	__u16 f_port;
	__u16 pad;
	__u32 f_family;       /* NST_AF_*, 0: no address filter */
	__u32 f_plen;
	__u8 f_addr[16];
};

/* Per-CPU counters of what the kernel side could not do. */
enum nst_stat {
	NST_STAT_RB_FULL = 0,     /* ring buffer reservation failed: story lost */
	NST_STAT_MAP_FULL = 1,    /* a counter map was full: count lost */
	NST_STAT_LAT_MASK = 2,    /* the widest latency sampling mask used (max, not sum) */
	NST_STAT_LAT_LOST = 3,    /* a latency sample whose histogram could not be made */
	NST_STAT_MAX = 4,
};

/* The headers of one packet, as far as they could be read. */
struct nst_flow {
	__u8 family;          /* NST_AF_INET, NST_AF_INET6, 0: not IP */
	__u8 proto;           /* NST_IPPROTO_* */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 sport;          /* host byte order */
	__u16 dport;
	__u16 l3proto;        /* ETH_P_*, host byte order */
	__u8 tcp_flags;       /* TCP only */
	__u8 pad;
	__u8 src[16];
	__u8 dst[16];
};

/* The reason of a drop on kernels whose kfree_skb tracepoint has none
 * (before 5.17): only the freeing function tells. */
#define NST_REASON_NONE 0xffffffffU

/* Exact drop counters: per CPU, summed by the reader. */
struct nst_drop_key {
	__u32 netns;
	__u32 ifindex;        /* 0 when the skb had no device */
	__u32 reason;
	__u32 pad;
	__u64 location;       /* the freeing function's address */
};

struct nst_drop_val {
	__u64 packets;        /* skbs freed */
	__u64 segs;           /* segments they held (GSO) */
	__u64 bytes;
	/* BPF's own: on this CPU, no story about this key is due before this
	 * time (jiffies), so a storm's drops skip the shared "sampled" map. */
	__u64 quiet_until;
};

/* A drop key's counters on one CPU, without hashing or allocating: slot
 * NST_DROP_SLOT(key) of the per-CPU array "drop_slots" holds the first key
 * that CPU counted there (written once); the other keys count in "drops".
 * User space reads every slot and adds each CPU's key to its row. A key's
 * location is never 0: 0 is a free slot. */
#define NST_DROP_SLOTS 256
#define NST_DROP_SLOT(netns, ifindex, reason, loc) \
	((((__u32)(netns) ^ (__u32)(ifindex) * 0x85ebca6bU ^ (__u32)(reason) * 0xc2b2ae35U ^ \
	   (__u32)(loc) * 0x27d4eb2fU ^ (__u32)((__u64)(loc) >> 32)) * 0x9e3779b1U) >> 24)
struct nst_drop_slot {
	struct nst_drop_key k;
	struct nst_drop_val v;
};

struct nst_port_key {
	__u32 netns;
	__u32 ifindex;
	__u32 dir;            /* enum nst_dir */
	__u32 pad;
};

struct nst_port_val {
	__u64 packets;
	__u64 bytes;
};

/* The hot paths' first tests read arrays, not hashes. A watched
 * namespace's mode is in slot NST_NS_SLOT(inode) of "netns_fast":
 * (mode << 32 | inode) when it is the only watched one there, NST_NS_ASK
 * << 32 when several share the slot (then "netns_mode" decides), 0 when
 * none is watched there. */
#define NST_NS_SLOTS 1024
#define NST_NS_SLOT(ino) ((__u32)(ino) & (NST_NS_SLOTS - 1))
#define NST_NS_ASK 0xffU

/* A port's packet counters: slot NST_PORT_SLOT(netns, ifindex) of the
 * per-CPU array "port_slots" when user space gave the slot to that port
 * (the first port attached there); the others count in "ports". */
#define NST_PORT_SLOTS 512
#define NST_PORT_SLOT(netns, ifindex) \
	((((__u32)(netns) ^ (__u32)(ifindex) * 0x9e3779b1U) * 0x85ebca6bU) >> 23)
struct nst_port_slot {
	__u32 netns;          /* the owner (0: free), set by user space */
	__u32 ifindex;
	struct nst_port_val v[2];   /* by enum nst_dir */
};

/* What a story is about, for telling one per interval (key of
 * "sampled"): a drop by its drop key, a reset by namespace, device and
 * type, an ICMP error by message, port and direction, --pcap-all by port
 * and direction. */
struct nst_sample_key {
	__u32 type;           /* enum nst_event_type */
	__u32 netns;
	__u32 ifindex;
	__u32 reason;         /* drops only */
	__u64 location;       /* drops only */
	__u8 dir;             /* ICMP_WIRE, SEEN: enum nst_dir */
	__u8 icmp_type;       /* ICMP stories */
	__u8 icmp_code;
	__u8 pad[5];
};

/* Resets, keyed by the namespace and device they are charged to. */
struct nst_reset_key {
	__u32 netns;
	__u32 ifindex;
	__u32 type;           /* NST_EV_RESET_SENT or NST_EV_RESET_RECV */
	__u32 port;           /* the service port: local for SENT, the peer's for RECV */
};

/* A watched address (value: 1). */
struct nst_addr_key {
	__u32 family;
	__u8 addr[16];
};

/* The watched-address filter's first test (namespaces watched by
 * address), like NST_NS_SLOT: slot NST_ADDR_SLOT(key) of "addr_fast" holds
 * the one watched address there (NST_ADDR_OWN), or says several share it
 * (NST_ADDR_ASK: "watched_addrs" decides); an owned slot keeps its key. */
#define NST_ADDR_SLOTS 256
#define NST_ADDR_SLOT(fam, w0, w1, w2, w3) \
	((((__u32)(fam) ^ (__u32)(w0) ^ (__u32)(w1) * 0x85ebca6bU ^ (__u32)(w2) * 0xc2b2ae35U ^ \
	   (__u32)(w3) * 0x27d4eb2fU) * 0x9e3779b1U) >> 24)
enum nst_addr_state { NST_ADDR_FREE = 0, NST_ADDR_OWN = 1, NST_ADDR_ASK = 2 };
struct nst_addr_slot {
	struct nst_addr_key k;
	__u32 state;          /* enum nst_addr_state */
};

/* An ICMP error seen on a port (v4: destination unreachable, redirect,
 * time exceeded, parameter problem; v6: types 1-4), with the MTU it
 * carries (frag-needed, Packet Too Big; else 0), the packet it refers to
 * and who sent it (the outer source: the router or host that refused). */
struct nst_icmp_key {
	__u32 netns;
	__u32 ifindex;
	__u32 dir;
	__u32 mtu;
	__u8 type, code, family, orig_kind;
	__u8 orig_src[16];
	__u8 orig_dst[16];
	__u8 from[16];
};

/* What the packet an ICMP error quotes looks like, for telling a path
 * probe's expected answer from an incident (orig_kind). */
enum nst_orig_kind {
	NST_ORIG_OTHER = 0,
	NST_ORIG_ECHO = 1,        /* an echo request (ping -t, traceroute -I, mtr) */
	NST_ORIG_TRACEROUTE = 2,  /* UDP to traceroute's ports, 33434-33534 */
};

/* ICMP errors a namespace generated (icmp_send), per offending flow. */
struct nst_icmp_gen_key {
	__u32 netns;
	__u32 mtu;            /* for frag-needed: the MTU of the route, else 0 */
	__u8 type, code, family, orig_kind;
	__u8 orig_src[16];
	__u8 orig_dst[16];
};

/* ---- latency and journeys ---- */

/* What identifies one packet wherever it is seen: its own headers, the
 * same on both ends of a veth and through a bridge or a router (TTL and
 * IP checksum aside). IPv4 id or IPv6 flow label; from the L4 header:
 * TCP: a = seq, b = ack, c = ports; UDP: a = length and checksum,
 * c = ports; ICMP: a = id and sequence (or the next 4 bytes), c = type,
 * code and checksum. Raw network-order bytes: only compared, never read. */
struct nst_pid {
	__u8 family;
	__u8 proto;
	__u8 tcp_flags;
	__u8 pad;
	__u32 id;
	__u32 a, b, c;
	__u8 src[16];
	__u8 dst[16];
};

/* Where a stamp waits for the packet: the far end of a veth (ifindex) or
 * the namespace the packet entered (ifindex 0), and the kind for round
 * trips (NST_RTT_* in ifindex, netns 0). */
struct nst_stamp_key {
	struct nst_pid p;
	__u32 netns;
	__u32 ifindex;
};

#define NST_RTT_HANDSHAKE 0xfffffffe
#define NST_RTT_ECHO 0xfffffffd

struct nst_stamp {
	__u64 ts;             /* when the packet was last seen */
	__u64 first_ts;       /* when it was first seen (its sender's port) */
	__u32 netns;          /* where it was last seen */
	__u32 ifindex;
	__u32 dir;
	__u32 first_netns;    /* round trips: the server's namespace */
};

/* A hop: from one port and direction to the next. */
struct nst_hop_key {
	__u32 from_netns;
	__u32 from_ifindex;
	__u32 from_dir;
	__u32 to_netns;
	__u32 to_ifindex;
	__u32 to_dir;
};

enum nst_lat_kind {
	NST_LAT_ONEWAY = 0,      /* first port to the last, one packet */
	NST_LAT_HANDSHAKE = 1,   /* TCP SYN out -> SYN-ACK back, at the client */
	NST_LAT_ECHO = 2,        /* ICMP echo request out -> reply back */
};

/* A namespace pair: src sent, dst received (or served, for round trips). */
struct nst_pair_key {
	__u32 src_netns;
	__u32 dst_netns;
	__u32 kind;           /* enum nst_lat_kind */
	__u32 pad;
};

/* Which histogram map a latency sample belongs in. */
enum nst_lat_map { NST_LATMAP_HOP = 0, NST_LATMAP_PAIR = 1 };

/* A latency sample whose new key's histogram the kernel could not
 * allocate at that moment (2 KB per CPU, in softirq, when several keys
 * are new at once): carried to user space, which adds it to the row and
 * makes the key. Its type sits where nst_event's does. */
struct nst_lat_event {
	__u64 ns;             /* the sample */
	__u32 type;           /* NST_EV_LATENCY */
	__u32 map;            /* enum nst_lat_map */
	union {
		struct nst_hop_key hop;
		struct nst_pair_key pair;
	} key;
};

/* Log-linear histogram of nanoseconds: 8 slots per power of two, so a
 * percentile read from it is within 6 % of the truth. Slot s < 8 holds s
 * ns; above, s = (msb - 2) * 8 + the three bits after the top one. */
#define NST_HIST_SLOTS 256
#define NST_HIST_SUB 8

struct nst_hist {
	__u64 count;
	__u64 sum_ns;
	__u64 max_ns;
	__u64 slot[NST_HIST_SLOTS];
};

/* Latency under load, per CPU: above the budget only packets whose
 * identity hashes into 1 of MASK + 1 are timed (the same packets on
 * every port, so their hops still chain). The clock is read every 128
 * passes, not per packet: a window closes at the first check after
 * NST_LAT_WINDOW_NS and sets the next mask from its rate. */
#define NST_LAT_WINDOW_NS 10000000ULL
#define NST_LAT_BUDGET 10           /* timed passes per window per CPU: 1k/s */
/* Packets picked by a hash of their flow rather than of the packet
 * (IPv4 UDP without an id: see lat_udp4) are all picked or none: at most
 * this many of them are timed in a window per CPU. */
#define NST_LAT_CAP (NST_LAT_BUDGET * 4)

struct nst_lat_load {
	__u64 window;         /* when the window opened */
	__u32 passes;         /* since it opened */
	__u32 mask;
	__u32 by_flow;        /* timed by a flow's hash since it opened */
	__u32 pad;
};

/* A veth end's peer, for stamping at the far end (value of "peers"). */
struct nst_port {
	__u32 netns;
	__u32 ifindex;
};

/* One sampled story, carried by the ring buffer. */
struct nst_event {
	__u64 ts;             /* bpf_ktime_get_ns() */
	__u32 type;           /* enum nst_event_type */
	__u32 netns;
	__u32 ifindex;
	__u32 reason;
	__u64 location;
	__u32 len;
	__u32 segs;
	__u32 port;           /* resets: as in nst_reset_key */
	__u32 mtu;            /* ICMP stories: the MTU carried or routed */
	__u32 dir;            /* ICMP_WIRE, SEEN, HOP: enum nst_dir */
	__u8 icmp_type, icmp_code;
	__u8 orig_kind;       /* ICMP stories: enum nst_orig_kind of the flow */
	__u8 pad;
	struct nst_flow flow; /* ICMP stories: the offending (inner) packet */
	/* The packet's first bytes, for --pcap: from its Ethernet header (tc)
	 * or its network header (tracepoints), CAPLEN of WIRELEN. */
	__u32 data_kind;      /* enum nst_data */
	__u32 caplen;
	__u32 wirelen;
	__u32 pad2;
	__u8 data[NST_SNAPLEN];
	struct nst_pid pid;   /* HOP, and drops in --journey: which packet */
	__u8 from[16];        /* ICMP_WIRE: who sent the error (outer source) */
};

#endif
