{
  "targets": [
    {
      "target_name": "keepalived_net",
      "sources": ["native/addon.c", "native/ip6.c", "native/packet.c", "native/rtnl.c", "native/syslog.c", "native/mark.c", "native/tcpcheck.c", "native/tcpcheck-js.c", "native/bfd.c", "native/rxsock.c", "native/sockaddr.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    },
    {
      "target_name": "keepalived_sys",
      "sources": ["native/sdnotify.c", "native/rtsignal.c", "native/sched.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"type": "none"}]]
    }
  ]
}
