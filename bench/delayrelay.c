/* Ethernet relay between two interfaces that holds every frame DELAY_US before passing it on (netem stand-in).
 *
 * Usage: delayrelay IFACE_A IFACE_B DELAY_US SECONDS
 * One thread per direction reads frames from an AF_PACKET socket on one interface and sends each on the other
 * once DELAY_US have passed since it arrived (recvmmsg/sendmmsg, up to 64 frames per system call); frames are queued in arrival order (a fixed delay keeps order).
 * Exits by itself after SECONDS (bounded); prints frames passed and dropped per direction on exit.
 * Built by bench/benchnet.py at bench time (gcc -O2 -pthread); the namespaces' offloads are off, so every frame
 * fits the MTU.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 16384
#define FRAME 2048

struct slot { uint64_t due; int len; unsigned char data[FRAME]; };

struct direction {
    int in, out;
    struct slot *ring;
    unsigned head, tail;   /* head: next to send; tail: next free */
    unsigned long passed, dropped;
};

static uint64_t delay_ns;
static volatile uint64_t stop_at;

static void on_term(int sig) { (void)sig; stop_at = 0; }   /* SIGTERM: finish and print the counts */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int open_socket(const char *name)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) { perror("socket"); exit(1); }
    struct sockaddr_ll addr = {0};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    addr.sll_ifindex = if_nametoindex(name);
    if (!addr.sll_ifindex) { fprintf(stderr, "delayrelay: no interface %s\n", name); exit(1); }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); exit(1); }
    int one = 1, size = 8 << 20;
    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
    return fd;
}

#define BATCH 64

static void receive_all(struct direction *d, uint64_t now)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        unsigned room = SLOTS - (d->tail - d->head), n = 0;
        if (room == 0) {   /* queue full: read and drop, as a full router queue would */
            char scrap[FRAME];
            if (recv(d->in, scrap, sizeof scrap, MSG_DONTWAIT) < 0) return;
            d->dropped++;
            continue;
        }
        while (n < BATCH && n < room && (d->tail + n) % SLOTS >= d->tail % SLOTS) {   /* contiguous slots */
            struct slot *s = &d->ring[(d->tail + n) % SLOTS];
            iov[n] = (struct iovec){ s->data, FRAME };
            msgs[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[n], .msg_iovlen = 1 } };
            n++;
        }
        int got = recvmmsg(d->in, msgs, n, MSG_DONTWAIT, NULL);
        if (got <= 0) return;
        for (int i = 0; i < got; i++) {
            struct slot *s = &d->ring[(d->tail + i) % SLOTS];
            s->len = msgs[i].msg_len;
            s->due = now + delay_ns;
        }
        d->tail += got;
        if ((unsigned)got < n) return;
    }
}

static void send_due(struct direction *d, uint64_t now)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
        unsigned n = 0;
        while (n < BATCH && d->head + n != d->tail && d->ring[(d->head + n) % SLOTS].due <= now) {
            struct slot *s = &d->ring[(d->head + n) % SLOTS];
            iov[n] = (struct iovec){ s->data, (size_t)s->len };
            msgs[n] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[n], .msg_iovlen = 1 } };
            n++;
        }
        if (n == 0) return;
        int sent = sendmmsg(d->out, msgs, n, 0);
        if (sent <= 0) {   /* the frame at the head cannot be sent (e.g. too long): count it dropped */
            sent = 1;
            d->dropped++;
        } else {
            d->passed += sent;
        }
        d->head += sent;
    }
}

static void *run(void *arg)
{
    struct direction *d = arg;
    struct pollfd pfd = { .fd = d->in, .events = POLLIN };
    prctl(PR_SET_TIMERSLACK, 1UL);
    for (;;) {
        uint64_t now = now_ns();
        if (now >= stop_at) return NULL;
        uint64_t wait = 50000000ull;   /* 50 ms when idle: the stop time is checked at least that often */
        if (d->head != d->tail) {
            uint64_t due = d->ring[d->head % SLOTS].due;
            wait = due > now ? due - now : 0;
        }
        struct timespec ts = { (time_t)(wait / 1000000000ull), (long)(wait % 1000000000ull) };
        if (ppoll(&pfd, 1, &ts, NULL) > 0) receive_all(d, now_ns());
        send_due(d, now_ns());
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) { fprintf(stderr, "usage: delayrelay IFACE_A IFACE_B DELAY_US SECONDS\n"); return 2; }
    delay_ns = strtoull(argv[3], NULL, 10) * 1000ull;
    stop_at = now_ns() + strtoull(argv[4], NULL, 10) * 1000000000ull;
    signal(SIGTERM, on_term);
    int a = open_socket(argv[1]), b = open_socket(argv[2]);
    struct direction ab = { a, b, calloc(SLOTS, sizeof(struct slot)), 0, 0, 0, 0 };
    struct direction ba = { b, a, calloc(SLOTS, sizeof(struct slot)), 0, 0, 0, 0 };
    if (!ab.ring || !ba.ring) { fprintf(stderr, "delayrelay: out of memory\n"); return 1; }
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run, &ab);
    pthread_create(&t2, NULL, run, &ba);
    printf("ready\n");
    fflush(stdout);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("%s->%s passed %lu dropped %lu; %s->%s passed %lu dropped %lu\n", argv[1], argv[2], ab.passed,
           ab.dropped, argv[2], argv[1], ba.passed, ba.dropped);
    return 0;
}
