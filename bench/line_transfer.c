/* How long one cache line takes to move between two CPUs: two threads, pinned to CPUs 0 and 1,
 * hand a counter back and forth 2,000,000 times; one way is half the round trip.
 *
 *     cc -O2 -pthread -o line_transfer bench/line_transfer.c && ./line_transfer [CPU_A CPU_B]
 *
 * Hogwild threads pay about this much each time one of them writes a row that the other wrote
 * last (docs/benchmarks.md, "Peers on the EPYC, 2026-12-07"). On a virtual machine the host may
 * move the vCPUs while it runs: repeat it a few seconds apart. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N 2000000L

static _Alignas(64) atomic_long flag;
static int cpu_a = 0, cpu_b = 1;

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
        fprintf(stderr, "line_transfer: cannot run on CPU %d; name two CPUs this machine has\n", cpu);
        exit(2);
    }
}

static void *answer(void *unused) {
    (void)unused;
    pin(cpu_b);
    for (long i = 0; i < N; i++) {
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&flag, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc == 3) {
        cpu_a = atoi(argv[1]);
        cpu_b = atoi(argv[2]);
    }
    pthread_t other;
    pin(cpu_a);
    pthread_create(&other, NULL, answer, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < N; i++) {
        atomic_store_explicit(&flag, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&flag, memory_order_acquire) != 2 * i + 2) {}
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(other, NULL);
    double ns = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / N;
    printf("CPUs %d and %d: round trip %.1f ns, one way %.1f ns\n", cpu_a, cpu_b, ns, ns / 2);
    return 0;
}
