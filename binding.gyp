{
  "targets": [
    {
      "target_name": "pod_init",
      "sources": [
        "native/addon.cc",
        "native/beneath.cc",
        "native/device_filter.cc",
        "native/child_setup.cc",
        "native/errors.cc",
        "native/exit.cc",
        "native/idmap.cc",
        "native/plan.cc",
        "native/reap.cc",
        "native/seccomp.cc",
        "native/spawn.cc",
        "native/syscalls.cc"
      ],
      "libraries": ["-lseccomp"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NODE_ADDON_API_DISABLE_DEPRECATED", "_GNU_SOURCE"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-fexceptions"],
      "configurations": {
        "Debug": { "defines": ["NODE_ADDON_API_ENABLE_TYPE_CHECK_ON_AS"] }
      }
    },
    {
      "target_name": "pod-pause",
      "type": "executable",
      "sources": ["native/pause.c", "native/init.c", "native/enter.cc", "native/plan.cc", "native/child_setup.cc"],
      "cflags!": ["-fPIC"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-fstack-protector"],
      "cflags_c": ["-std=c99"],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fno-rtti"],
      "ldflags": ["-static", "-s"]
    }
  ]
}
