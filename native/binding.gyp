{
  "targets": [
    {
      "target_name": "cover_native",
      "sources": ["<!@(node -p \"require('fs').readdirSync('src').filter((f) => f.endsWith('.cc')).map((f) => 'src/' + f).join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "../cxx"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "COVER_NATIVE_VERSION=\"<!(node -p \"require('./package.json').version\")\""],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-fexceptions", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
