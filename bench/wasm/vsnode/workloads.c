// Workloads for `pliant bench --wasm-vs-node`: eight kernels of our own, compiled by clang to wasm32
// twice (build.sh: without and with -msimd128) and run in Pliant and in Node's V8 on the same .wasm.
// Freestanding: no libc, static buffers in linear memory. Each kernel takes a size n, does work
// proportional to it and returns a checksum (equal in both engines, checked by the bench); it
// initialises every buffer it reads, so the result does not depend on kernels run before it.
#include <stdint.h>
#define EXPORT(name) __attribute__((export_name(name)))
#define N_FLOAT 4096
#define N_BYTES (1 << 20)

static float fx[N_FLOAT], fy[N_FLOAT];
static uint8_t buf_a[N_BYTES], buf_b[N_BYTES];
static uint32_t words[N_BYTES / 4];

// 1. float math: saxpy and a damped oscillator per element, the inner loops vectorisable.
EXPORT("float_math") uint32_t float_math(int n) {
  for (int i = 0; i < N_FLOAT; i++) { fx[i] = (float)(i % 97) * 0.01f; fy[i] = (float)(i % 13) * 0.5f; }
  float acc = 0;
  for (int r = 0; r < n; r++) {
    float a = 0.999f + (float)(r & 7) * 1e-4f;
    for (int i = 0; i < N_FLOAT; i++) fy[i] = a * fx[i] + fy[i] * 0.5f;
    for (int i = 0; i < N_FLOAT; i++) fx[i] = fx[i] * 0.75f + fy[i] * 0.25f - fx[i] * fx[i] * 0.01f;
    acc += fx[r & (N_FLOAT - 1)] + fy[(r * 7) & (N_FLOAT - 1)];
  }
  union { float f; uint32_t u; } c = { acc };
  return c.u;
}

// 2. integer math: multiply, divide, remainder, shifts over a small state.
EXPORT("int_math") uint32_t int_math(int n) {
  uint32_t a = 12345, b = 67890, c = 0;
  for (int i = 0; i < n; i++) {
    a = a * 1103515245u + 12345u;
    b ^= b << 13; b ^= b >> 17; b ^= b << 5;
    c += (a / ((b & 0xFFFF) | 1)) + (b % ((a >> 16) | 1)) + (uint32_t)((int32_t)a >> 3) * 7u;
  }
  return a ^ b ^ c;
}

// 3. bit operations: popcount, clz, ctz, rotates over an array of words.
EXPORT("bits") uint32_t bits(int n) {
  for (int i = 0; i < N_BYTES / 4; i++) words[i] = (uint32_t)i * 2654435761u;
  uint32_t acc = 0;
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < 4096; i++) {
      uint32_t w = words[(i + r * 4096) & (N_BYTES / 4 - 1)];
      acc += (uint32_t)__builtin_popcount(w) + (uint32_t)__builtin_clz(w | 1) + (uint32_t)__builtin_ctz(w | 0x80000000u);
      acc ^= (w << (r & 31)) | (w >> ((32 - (r & 31)) & 31));
    }
  }
  return acc;
}

// 4. a branchy interpreter: a stack machine with a switch over opcodes, running a fixed program.
enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_XOR, OP_SHR, OP_POP, OP_HALT, OP_LOAD, OP_STORE };
static const int program[] = {
  OP_PUSH, 0, OP_STORE, 0,          // acc = 0
  OP_LOAD, 1,                       // loop: counter
  OP_DUP, OP_PUSH, 3, OP_MUL, OP_LOAD, 0, OP_ADD, OP_PUSH, 0x5bd1e995, OP_XOR, OP_DUP, OP_PUSH, 7, OP_SHR, OP_XOR, OP_STORE, 0,
  OP_DEC, OP_DUP, OP_STORE, 1, OP_JNZ, 4,
  OP_POP, OP_LOAD, 0, OP_HALT,
};

EXPORT("interp") uint32_t interp(int n) {
  uint32_t stack[64];
  uint32_t regs[4] = { 0, (uint32_t)n, 0, 0 };
  int sp = 0, pc = 0;
  for (;;) {
    switch (program[pc++]) {
      case OP_PUSH: stack[sp++] = (uint32_t)program[pc++]; break;
      case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
      case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
      case OP_SWAP: { uint32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case OP_JNZ: { int target = program[pc++]; if (stack[--sp]) pc = target; break; }
      case OP_DEC: stack[sp - 1]--; break;
      case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
      case OP_SHR: sp--; stack[sp - 1] >>= stack[sp]; break;
      case OP_POP: sp--; break;
      case OP_LOAD: stack[sp++] = regs[program[pc++] & 3]; break;
      case OP_STORE: regs[program[pc++] & 3] = stack[--sp]; break;
      case OP_HALT: return stack[sp - 1];
    }
  }
}

// 5. int/float conversions: int -> float -> int and unsigned <-> double round trips.
EXPORT("conversions") uint32_t conversions(int n) {
  for (int i = 0; i < N_FLOAT; i++) fx[i] = (float)(i - N_FLOAT / 2) * 1.37f;
  for (int i = 0; i < 1024; i++) words[i] = (uint32_t)i * 2654435761u;
  int32_t acc = 0;
  uint32_t uacc = 0;
  for (int r = 0; r < n; r++) {
    for (int i = 0; i < N_FLOAT; i++) {
      int32_t k = (int32_t)(fx[i] * 3.5f);
      fy[i] = (float)(k + r);
      acc += k;
    }
    for (int i = 0; i < 1024; i++) {
      double d = (double)(uint32_t)(words[i] + (uint32_t)r);
      uacc += (uint32_t)(d * 0.5) + (uint32_t)(int64_t)(d * 1.25);
    }
  }
  return (uint32_t)acc ^ uacc ^ (uint32_t)(int32_t)fy[17];
}

// 6. memory: fill, copy and a byte transform with strided reads and writes (bounds-check heavy).
EXPORT("memcopy") uint32_t memcopy(int n) {
  __builtin_memset(buf_b, 0, 65536 + 1024);
  uint32_t acc = 0;
  for (int r = 0; r < n; r++) {
    __builtin_memset(buf_a, r & 0xFF, 65536);
    for (int i = 0; i < 65536; i += 4) buf_a[i] = (uint8_t)(i * 31 + r);
    __builtin_memcpy(buf_b + (r & 1023), buf_a, 65536);
    for (int i = 0; i < 65536; i++) buf_a[(i * 257) & 0xFFFF] = buf_b[i] ^ buf_b[(i + 17) & 0xFFFF];
    acc += buf_a[r & 0xFFFF] + buf_b[(r * 7) & 0xFFFF];
  }
  return acc;
}

// 7. call-heavy recursion: naive Fibonacci plus Ackermann-style mutual recursion.
static int fib(int x) { return x < 2 ? x : fib(x - 1) + fib(x - 2); }
__attribute__((noinline)) static int tak(int x, int y, int z) { return y < x ? tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y)) : z; }
EXPORT("recursion") uint32_t recursion(int n) {
  uint32_t acc = 0;
  for (int i = 0; i < n; i++) acc += (uint32_t)fib(22 + (i & 1)) + (uint32_t)tak(12, 8, 4 + (i & 1));
  return acc;
}

// 8. checksum: Adler-32 and Fletcher-style sums over a 1 MiB buffer.
EXPORT("checksum") uint32_t checksum(int n) {
  for (int i = 0; i < N_BYTES; i++) buf_b[i] = (uint8_t)(i * 131 + (i >> 8));
  uint32_t total = 0;
  for (int r = 0; r < n; r++) {
    uint32_t a = 1, b = 0;
    for (int i = 0; i < N_BYTES; i += 4096) {
      for (int j = 0; j < 4096; j++) { a += buf_b[i + j]; b += a; }
      a %= 65521; b %= 65521;
    }
    uint32_t s1 = 0, s2 = 0;
    const uint32_t *w = (const uint32_t *)buf_b;
    for (int i = 0; i < N_BYTES / 4; i++) { s1 += w[i]; s2 += s1; }
    total += ((b << 16) | a) ^ s2 ^ (uint32_t)r;
  }
  return total;
}
