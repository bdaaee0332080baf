# The native GEMM addon (gemm.c), built by scripts/build-native.mjs with node-gyp. Optional: when
# it is missing or fails to load, the trainer uses the WebAssembly kernels and says why.
{
  "targets": [
    {
      "target_name": "bert_tune_kernels",
      "sources": ["gemm.c"],
      "cflags_c": ["-std=c11", "-O3", "-Wall", "-Wextra"],
      "xcode_settings": { "OTHER_CFLAGS": ["-std=c11", "-O3"] }
    }
  ]
}
