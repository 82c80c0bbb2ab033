// Benchmark kernels: compiled by clang to wasm32 (build.sh) and mirrored in C# (Kernels.cs).
// Freestanding: no libc, static buffers in linear memory.
#define EXPORT(name) __attribute__((export_name(name)))

EXPORT("fib") int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned char sieve_buf[1 << 21];

EXPORT("sieve") int sieve(int n) {
  for (int i = 0; i < n; i++) sieve_buf[i] = 1;
  int count = 0;
  for (int i = 2; i < n; i++) {
    if (sieve_buf[i]) {
      count++;
      for (int j = i + i; j < n; j += i) sieve_buf[j] = 0;
    }
  }
  return count;
}

#define MN 128
static double ma[MN * MN], mb[MN * MN], mc[MN * MN];

EXPORT("matmul") double matmul(int n) {
  for (int i = 0; i < n * n; i++) { ma[i] = (double)(i % 7) * 0.5; mb[i] = (double)(i % 5) + 1.0; }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += ma[i * n + k] * mb[k * n + j];
      mc[i * n + j] = s;
    }
  double t = 0;
  for (int i = 0; i < n * n; i++) t += mc[i];
  return t;
}

static unsigned int crc_table[256];
static unsigned char crc_buf[1 << 20];

EXPORT("crc32") unsigned int crc32(int len) {
  for (unsigned int i = 0; i < 256; i++) {
    unsigned int c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  for (int i = 0; i < len; i++) crc_buf[i] = (unsigned char)(i * 31 + 7);
  unsigned int crc = 0xFFFFFFFFu;
  for (int i = 0; i < len; i++) crc = crc_table[(crc ^ crc_buf[i]) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

EXPORT("empty") void empty(void) {}

extern void host_empty(void) __attribute__((import_module("env"), import_name("host_empty")));

EXPORT("call_host") void call_host(int n) {
  for (int i = 0; i < n; i++) host_empty();
}

EXPORT("loop_only") int loop_only(int n) {
  volatile int s = 0;
  for (int i = 0; i < n; i++) s += i;
  return s;
}
