/*
 * argus_pcap: the libpcap calls Argus Edge needs, through Node-API (ABI-stable, so one build serves every
 * Node version; the single executable embeds it as is).
 *
 * Live capture is non-blocking and batched: JS calls dispatch() on a timer; dispatch() copies every waiting
 * packet into one JS-owned buffer as records
 *     u32 ts_sec | u32 ts_usec | u32 caplen | u32 wirelen | caplen bytes, padded to 4
 * (host byte order) and returns the number of records, so there is one JS↔C crossing per batch, not per packet.
 * pcap_stats() gives the kernel/libpcap drop counters. compileFilter()/filterMatches() apply a BPF
 * expression to packets read from a file (pcap_offline_filter).
 */
#include <node_api.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                          \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      napi_throw_error(env, NULL, "argus_pcap: Node-API call failed: " #call); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

typedef struct {
  pcap_t *p;
  int snaplen;
} live_t;

static napi_value throw_msg(napi_env env, const char *prefix, const char *msg) {
  char buf[PCAP_ERRBUF_SIZE + 128];
  snprintf(buf, sizeof buf, "%s%s", prefix, msg);
  napi_throw_error(env, NULL, buf);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t cap) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, out, cap, &n) != napi_ok) return -1;
  return (int)n;
}

static void live_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  live_t *l = (live_t *)data;
  if (l->p) pcap_close(l->p);
  free(l);
}

static live_t *get_live(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "argus_pcap: expected a capture handle");
    return NULL;
  }
  return (live_t *)data;
}

/* open(iface, snaplen, promisc, bufferSize, filter) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char iface[256], filter[8192];
  int32_t snaplen = 2048, bufsize = 16 << 20;
  bool promisc = true;
  if (argc < 5 || get_string(env, argv[0], iface, sizeof iface) < 0 || napi_get_value_int32(env, argv[1], &snaplen) != napi_ok ||
      napi_get_value_bool(env, argv[2], &promisc) != napi_ok || napi_get_value_int32(env, argv[3], &bufsize) != napi_ok ||
      get_string(env, argv[4], filter, sizeof filter) < 0) {
    napi_throw_type_error(env, NULL, "open(iface: string, snaplen: number, promisc: boolean, bufferSize: number, filter: string)");
    return NULL;
  }
  char err[PCAP_ERRBUF_SIZE] = {0};
  pcap_t *p = pcap_create(iface, err);
  if (!p) return throw_msg(env, "pcap_create: ", err);
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_buffer_size(p, bufsize);
  pcap_set_timeout(p, 100);
  pcap_set_immediate_mode(p, 1);
  int rc = pcap_activate(p);
  if (rc < 0) {
    /* keep libpcap's code word so JS can explain it (PERM_DENIED, NO_SUCH_DEVICE, …) */
    char msg[PCAP_ERRBUF_SIZE + 64];
    const char *detail = pcap_geterr(p);
    const char *code = rc == PCAP_ERROR_PERM_DENIED ? "PERM_DENIED"
                       : rc == PCAP_ERROR_NO_SUCH_DEVICE ? "NO_SUCH_DEVICE"
                       : rc == PCAP_ERROR_IFACE_NOT_UP ? "IFACE_NOT_UP"
                       : rc == PCAP_ERROR_PROMISC_PERM_DENIED ? "PERM_DENIED"
                       : "ERROR";
    snprintf(msg, sizeof msg, "%s: %s", code, detail && *detail ? detail : pcap_statustostr(rc));
    pcap_close(p);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  if (pcap_setnonblock(p, 1, err) < 0) {
    pcap_close(p);
    return throw_msg(env, "pcap_setnonblock: ", err);
  }
  if (filter[0]) {
    struct bpf_program prog;
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0 || pcap_setfilter(p, &prog) < 0) {
      char msg[PCAP_ERRBUF_SIZE + 64];
      snprintf(msg, sizeof msg, "BAD_FILTER: %s", pcap_geterr(p));
      pcap_close(p);
      napi_throw_error(env, NULL, msg);
      return NULL;
    }
    pcap_freecode(&prog);
  }
  live_t *l = calloc(1, sizeof *l);
  l->p = p;
  l->snaplen = pcap_snapshot(p);
  napi_value handle;
  CHECK(napi_create_external(env, l, live_finalize, NULL, &handle));
  return handle;
}

/* dispatch(handle, buffer) -> number of records written */
static napi_value js_dispatch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  live_t *l = get_live(env, argv[0]);
  if (!l) return NULL;
  uint8_t *out;
  size_t cap;
  if (napi_get_buffer_info(env, argv[1], (void **)&out, &cap) != napi_ok) {
    napi_throw_type_error(env, NULL, "dispatch: expected a Buffer");
    return NULL;
  }
  uint32_t n = 0;
  size_t off = 0;
  if (l->p) {
    for (;;) {
      if (off + 16 + (size_t)l->snaplen > cap) break;
      struct pcap_pkthdr *h;
      const u_char *data;
      int rc = pcap_next_ex(l->p, &h, &data);
      if (rc != 1) break; /* 0: nothing waiting; <0: error or closed, reported by the next open/stats */
      uint32_t caplen = h->caplen > (uint32_t)l->snaplen ? (uint32_t)l->snaplen : h->caplen;
      uint32_t hdr[4] = {(uint32_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec, caplen, h->len};
      memcpy(out + off, hdr, 16);
      memcpy(out + off + 16, data, caplen);
      off += 16 + ((caplen + 3u) & ~3u);
      n++;
    }
  }
  napi_value r;
  CHECK(napi_create_uint32(env, n, &r));
  return r;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  live_t *l = get_live(env, argv[0]);
  if (!l) return NULL;
  struct pcap_stat st = {0};
  if (l->p && pcap_stats(l->p, &st) < 0) memset(&st, 0, sizeof st);
  napi_value o, v;
  CHECK(napi_create_object(env, &o));
  CHECK(napi_create_double(env, st.ps_recv, &v));
  CHECK(napi_set_named_property(env, o, "received", v));
  CHECK(napi_create_double(env, st.ps_drop, &v));
  CHECK(napi_set_named_property(env, o, "dropped", v));
  CHECK(napi_create_double(env, st.ps_ifdrop, &v));
  CHECK(napi_set_named_property(env, o, "ifDropped", v));
  return o;
}

static napi_value js_datalink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  live_t *l = get_live(env, argv[0]);
  if (!l) return NULL;
  napi_value r;
  CHECK(napi_create_int32(env, l->p ? pcap_datalink(l->p) : -1, &r));
  return r;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  live_t *l = get_live(env, argv[0]);
  if (!l) return NULL;
  if (l->p) pcap_close(l->p);
  l->p = NULL;
  return NULL;
}

static napi_value js_devices(napi_env env, napi_callback_info info) {
  (void)info;
  char err[PCAP_ERRBUF_SIZE];
  pcap_if_t *all = NULL;
  if (pcap_findalldevs(&all, err) < 0) return throw_msg(env, "pcap_findalldevs: ", err);
  napi_value arr;
  CHECK(napi_create_array(env, &arr));
  uint32_t i = 0;
  for (pcap_if_t *d = all; d; d = d->next) {
    napi_value s;
    if (napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &s) == napi_ok) napi_set_element(env, arr, i++, s);
  }
  pcap_freealldevs(all);
  return arr;
}

static void filter_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct bpf_program *prog = (struct bpf_program *)data;
  pcap_freecode(prog);
  free(prog);
}

/* compileFilter(linkType, snaplen, expression) -> filter handle */
static napi_value js_compile(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t linktype, snaplen;
  char expr[8192];
  if (argc < 3 || napi_get_value_int32(env, argv[0], &linktype) != napi_ok || napi_get_value_int32(env, argv[1], &snaplen) != napi_ok ||
      get_string(env, argv[2], expr, sizeof expr) < 0) {
    napi_throw_type_error(env, NULL, "compileFilter(linkType: number, snaplen: number, expression: string)");
    return NULL;
  }
  pcap_t *dead = pcap_open_dead(linktype, snaplen);
  if (!dead) return throw_msg(env, "pcap_open_dead failed", "");
  struct bpf_program *prog = calloc(1, sizeof *prog);
  if (pcap_compile(dead, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
    char msg[PCAP_ERRBUF_SIZE + 64];
    snprintf(msg, sizeof msg, "BAD_FILTER: %s", pcap_geterr(dead));
    free(prog);
    pcap_close(dead);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  pcap_close(dead);
  napi_value handle;
  CHECK(napi_create_external(env, prog, filter_finalize, NULL, &handle));
  return handle;
}

/* filterMatches(filter, buffer, offset, caplen, wirelen) -> boolean */
static napi_value js_matches(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void *prog = NULL;
  uint8_t *buf;
  size_t len;
  uint32_t off, caplen, wirelen;
  if (argc < 5 || napi_get_value_external(env, argv[0], &prog) != napi_ok || napi_get_buffer_info(env, argv[1], (void **)&buf, &len) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &off) != napi_ok || napi_get_value_uint32(env, argv[3], &caplen) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &wirelen) != napi_ok || (size_t)off + caplen > len) {
    napi_throw_type_error(env, NULL, "filterMatches(filter, buffer, offset, caplen, wirelen) with offset+caplen inside the buffer");
    return NULL;
  }
  struct pcap_pkthdr h;
  memset(&h, 0, sizeof h);
  h.caplen = caplen;
  h.len = wirelen;
  napi_value r;
  CHECK(napi_get_boolean(env, pcap_offline_filter((struct bpf_program *)prog, &h, buf + off) != 0, &r));
  return r;
}

static napi_value js_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &r));
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"dispatch", NULL, js_dispatch, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"datalink", NULL, js_datalink, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"devices", NULL, js_devices, NULL, NULL, NULL, napi_default, NULL},
      {"compileFilter", NULL, js_compile, NULL, NULL, NULL, napi_default, NULL},
      {"filterMatches", NULL, js_matches, NULL, NULL, NULL, napi_default, NULL},
      {"libVersion", NULL, js_version, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
