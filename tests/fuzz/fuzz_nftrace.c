/* libFuzzer: NFT_MSG_TRACE messages as a NFNLGRP_NFTRACE socket read
 * hands them over (one read may hold several). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include "nftrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);   /* aligned, as a socket read is */
	struct nftrace_msg m;
	size_t off = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* Walked by hand: libmnl's walk trusts nlmsg_len as the kernel's. */
	while (off < size && size - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > size - off)
			break;
		if (nftrace_parse(nlh, size - off, &m))
			(void)nftrace_is_drop(&m);
		off += MNL_ALIGN(nlh->nlmsg_len);
	}
	free(buf);
	return 0;
}
