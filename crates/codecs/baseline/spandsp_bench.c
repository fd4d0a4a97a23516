/* Baseline for `codec-bench --spandsp`: times spandsp 0.0.6's G.711 and
 * G.722 the same way the Rust example times heron-codecs (20 ms frames over
 * the reference signals, best-of-N batch medians), and prints
 * "name ns_per_sample" lines.
 *
 * Build: cc -O2 -o spandsp_bench spandsp_bench.c $(pkg-config --cflags --libs spandsp)
 * Run:   ./spandsp_bench PCM8K.s16 PCM16K.s16
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>
#include <spandsp/g722.h>

static int16_t *load(const char *path, int *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    int16_t *buf = malloc(len);
    if (fread(buf, 1, len, f) != (size_t) len) { perror(path); exit(1); }
    fclose(f);
    *n = (int) (len / 2);
    return buf;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

#define BATCHES 31
volatile uint32_t sink;

enum op { A_ENC, A_DEC, U_ENC, U_DEC, G722_ENC, G722_DEC };

static double run(enum op op, const int16_t *pcm, int n, const uint8_t *codes)
{
    static uint8_t obuf[1 << 20];
    static int16_t pbuf[1 << 20];
    g711_state_t *a = g711_init(NULL, G711_ALAW);
    g711_state_t *u = g711_init(NULL, G711_ULAW);
    g722_encode_state_t *ge = g722_encode_init(NULL, 64000, 0);
    g722_decode_state_t *gd = g722_decode_init(NULL, 64000, 0);
    double t[BATCHES];
    int reps = 20;
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (int r = 0; r < reps; r++) {
            switch (op) {
            case A_ENC: for (int i = 0; i + 160 <= n; i += 160) g711_encode(a, obuf + i, pcm + i, 160); break;
            case U_ENC: for (int i = 0; i + 160 <= n; i += 160) g711_encode(u, obuf + i, pcm + i, 160); break;
            case A_DEC: for (int i = 0; i + 160 <= n; i += 160) g711_decode(a, pbuf + i, codes + i, 160); break;
            case U_DEC: for (int i = 0; i + 160 <= n; i += 160) g711_decode(u, pbuf + i, codes + i, 160); break;
            case G722_ENC: for (int i = 0; i + 320 <= n; i += 320) g722_encode(ge, obuf + i / 2, pcm + i, 320); break;
            case G722_DEC: for (int i = 0; i + 320 <= n; i += 320) g722_decode(gd, pbuf + i, codes + i / 2, 160); break;
            }
            sink += obuf[r] + (uint16_t) pbuf[r];
        }
        t[b] = (now_ns() - t0) / ((double) reps * n);
    }
    qsort(t, BATCHES, sizeof t[0], cmp);
    return t[BATCHES / 2];
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s PCM8K.s16 PCM16K.s16\n", argv[0]); return 2; }
    int n8, n16;
    int16_t *p8 = load(argv[1], &n8);
    int16_t *p16 = load(argv[2], &n16);
    uint8_t *alaw = malloc(n8), *ulaw = malloc(n8), *g722 = malloc(n16 / 2);
    g711_encode(g711_init(NULL, G711_ALAW), alaw, p8, n8);
    g711_encode(g711_init(NULL, G711_ULAW), ulaw, p8, n8);
    g722_encode(g722_encode_init(NULL, 64000, 0), g722, p16, n16);
    printf("pcma-encode %.3f\n", run(A_ENC, p8, n8, NULL));
    printf("pcma-decode %.3f\n", run(A_DEC, p8, n8, alaw));
    printf("pcmu-encode %.3f\n", run(U_ENC, p8, n8, NULL));
    printf("pcmu-decode %.3f\n", run(U_DEC, p8, n8, ulaw));
    printf("g722-encode %.3f\n", run(G722_ENC, p16, n16, NULL));
    printf("g722-decode %.3f\n", run(G722_DEC, p16, n16, g722));
    return 0;
}
