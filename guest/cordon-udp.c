/*
 * cordon-udp: UDP datagrams for links that never answer (a diode).
 *
 *   cordon-udp send ADDR PORT COUNT [RATE]
 *       sends COUNT datagrams "cordon-udp SEQ HOSTNAME" to ADDR:PORT, RATE
 *       per second (default 10; 0: as fast as the socket takes them).  A
 *       broadcast ADDR (x.x.x.255) works: SO_BROADCAST is set.  Nothing is
 *       ever read back.  Prints "cordon-udp: sent N".
 *   cordon-udp recv PORT SECONDS
 *       prints each datagram that arrives on PORT within SECONDS as
 *       "cordon-udp: got PAYLOAD" (the first 20, then only counts), and at
 *       the end "cordon-udp: received N".
 *
 * busybox has no UDP tool, so the guest image carries this static i386
 * program (guest/Makefile), like cordon-send and cordon-receive.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

/* Returns 0 after --help (usage on stdout), else 2 (on stderr). */
static int usage(int status)
{
	fprintf(status ? stderr : stdout, "usage: cordon-udp send ADDR PORT COUNT [RATE]\n"
			"       cordon-udp recv PORT SECONDS\n"
			"  send: COUNT datagrams to ADDR:PORT, RATE a second (default 10; 0: as\n"
			"        fast as the socket takes them); a broadcast ADDR works.\n"
			"  recv: prints the first 20 datagrams that arrive on PORT within\n"
			"        SECONDS, then how many came.\n");
	return status;
}

static long number(const char *s, long min, long max)
{
	char *end;
	errno = 0;
	long n = strtol(s, &end, 10);
	return errno || *end || end == s || n < min || n > max ? -1 : n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_send(const char *addr, long port, long count, long rate)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char host[64] = "?", msg[128];
	int on = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "cordon-udp: bad address '%s' or no socket\n", addr);
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
	gethostname(host, sizeof(host) - 1);
	double start = now();
	long sent = 0;
	for (long i = 1; i <= count; i++) {
		if (rate > 0) {
			double due = start + (double)(i - 1) / (double)rate;
			while (now() < due)
				usleep(1000);
		}
		int n = snprintf(msg, sizeof(msg), "cordon-udp %ld %s", i, host);
		if (sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) == n)
			sent++;
	}
	printf("cordon-udp: sent %ld in %.2f s\n", sent, now() - start);
	close(fd);
	return 0;
}

static int do_recv(long port, long seconds)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		fprintf(stderr, "cordon-udp: cannot listen on port %ld: %s\n", port, strerror(errno));
		return 1;
	}
	printf("cordon-udp: listening on %ld\n", port);
	fflush(stdout);
	double end = now() + (double)seconds;
	long got = 0;
	char buf[2048];
	for (double left; (left = end - now()) > 0;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		if (++got <= 20) {
			printf("cordon-udp: got %s\n", buf);
			fflush(stdout);
		}
	}
	printf("cordon-udp: received %ld\n", got);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (tool_wants_help(argc, argv))
		return usage(0);
	if (argc >= 5 && argc <= 6 && !strcmp(argv[1], "send")) {
		long port = number(argv[3], 1, 65535), count = number(argv[4], 0, 100000000);
		long rate = argc == 6 ? number(argv[5], 0, 10000000) : 10;
		if (port < 0 || count < 0 || rate < 0)
			return usage(2);
		return do_send(argv[2], port, count, rate);
	}
	if (argc == 4 && !strcmp(argv[1], "recv")) {
		long port = number(argv[2], 1, 65535), seconds = number(argv[3], 1, 86400);
		if (port < 0 || seconds < 0)
			return usage(2);
		return do_recv(port, seconds);
	}
	return usage(2);
}
