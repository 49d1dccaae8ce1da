{
  "targets": [
    {
      "target_name": "cover_av",
      "sources": ["<!@(node -p \"require('fs').readdirSync('src').filter((f) => f.endsWith('.cc')).map((f) => 'src/' + f).join(' ')\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<!@(pkg-config --cflags-only-I libavformat libavcodec libswscale libavutil | sed 's/-I//g')"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "COVER_AV_VERSION=\"<!(node -p \"require('./package.json').version\")\""],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-O2", "-std=c++17", "-fexceptions", "-ffp-contract=off", "-Wall", "-Wno-unused-parameter"],
      "libraries": ["<!@(pkg-config --libs libavformat libavcodec libswscale libavutil)", "-lpthread"]
    }
  ]
}
