/* A small program on Apache ZooKeeper's C client (libzookeeper-mt), run by test_server_clients.py.
 * It connects, writes, reads, sets a watch and sees it fire, and prints one line per check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define THREADED 1 /* the synchronous API of libzookeeper_mt */
#include <zookeeper/zookeeper.h>

static volatile int connected = 0;
static volatile int changed = 0;

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh; (void)ctx;
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) connected = 1;
    if (type == ZOO_CHANGED_EVENT && path && strcmp(path, "/c-client") == 0) changed = 1;
}

static int wait_for(volatile int *flag) {
    for (int i = 0; i < 200 && !*flag; i++) usleep(25000);
    return *flag;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s host:port\n", argv[0]); return 2; }
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    zhandle_t *zh = zookeeper_init(argv[1], watcher, 10000, 0, 0, 0);
    if (!zh || !wait_for(&connected)) { printf("connect failed\n"); return 1; }
    printf("connected\n");
    char created[128];
    int rc = zoo_create(zh, "/c-client", "v1", 2, &ZOO_OPEN_ACL_UNSAFE, 0, created, sizeof created);
    printf("create %d %s\n", rc, rc == ZOK ? created : "-");
    rc = zoo_create(zh, "/c-client/seq-", "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, created, sizeof created);
    printf("create-seq %d %s\n", rc, rc == ZOK ? created : "-");
    char buffer[64];
    int length = sizeof buffer;
    struct Stat stat;
    rc = zoo_get(zh, "/c-client", 1, buffer, &length, &stat);
    printf("get %d %.*s version=%d children=%d\n", rc, length, buffer, stat.version, stat.numChildren);
    rc = zoo_set(zh, "/c-client", "v2", 2, 0);
    printf("set %d\n", rc);
    printf("watch %s\n", wait_for(&changed) ? "fired" : "missing");
    rc = zoo_set(zh, "/c-client", "v3", 2, 0);
    printf("stale-set %d\n", rc);
    struct String_vector children;
    rc = zoo_get_children(zh, "/c-client", 0, &children);
    printf("children %d %d\n", rc, rc == ZOK ? children.count : -1);
    if (rc == ZOK) deallocate_String_vector(&children);
    rc = zoo_delete(zh, "/c-client", -1);
    printf("delete-nonempty %d\n", rc);
    rc = zoo_exists(zh, "/no-such-node", 0, &stat);
    printf("exists-missing %d\n", rc);
    zookeeper_close(zh);
    printf("closed\n");
    return 0;
}
