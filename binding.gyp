{
  "targets": [
    {
      "target_name": "pod_init",
      "sources": [
        "native/addon.cc",
        "native/at.cc",
        "native/beneath.cc",
        "native/device_filter.cc",
        "native/child_setup.cc",
        "native/errors.cc",
        "native/exit.cc",
        "native/host_port.cc",
        "native/idmap.cc",
        "native/image_fs.cc",
        "native/keeper_client.cc",
        "native/layer_unpack.cc",
        "native/netlink.cc",
        "native/netlink_binding.cc",
        "native/nftables.cc",
        "native/plan.cc",
        "native/pty.cc",
        "native/reap.cc",
        "native/seccomp.cc",
        "native/spawn.cc",
        "native/syscalls.cc",
        "native/zstd.cc"
      ],
      "libraries": ["-lseccomp", "-lzstd", "-ldl"],
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
      "type": "none",
      "actions": [
        {
          "action_name": "build_pod_pause",
          "inputs": ["scripts/build-pause.js", "<!@(ls native/*.c native/*.h native/enter.cc native/keeper.cc native/plan.cc native/child_setup.cc)"],
          "outputs": ["<(PRODUCT_DIR)/pod-pause"],
          "action": ["node", "scripts/build-pause.js", "<(PRODUCT_DIR)/pod-pause"],
          "message": "pod-pause (static; musl when musl-gcc is there)"
        },
        {
          "action_name": "build_pod_init_command",
          "inputs": ["scripts/build-pause.js", "<!@(ls native/client/* native/plan.h)"],
          "outputs": ["<(module_root_dir)/bin/pod-init"],
          "action": ["node", "scripts/build-pause.js", "<(module_root_dir)/bin/pod-init", "--client"],
          "message": "bin/pod-init (the pod-init command: exec without Node; static, musl when there)"
        }
      ]
    }
  ]
}
