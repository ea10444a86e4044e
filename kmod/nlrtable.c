// SPDX-License-Identifier: GPL-2.0
/*
 * nlrtable - a routing table kept in the kernel and managed over a netlink
 * protocol of its own.
 *
 * User space adds, deletes, gets and dumps entries. Every change is multicast
 * to NLRT_GRP_ROUTE. A socket may also watch one entry; when that entry is
 * deleted, by request or because its lifetime ran out, each watcher gets its
 * own unicast NLRT_MSG_DELROUTE. See nlrtable.h for the wire format.
 *
 * Locking: one mutex (nlrt_lock) guards the table, the watchers and the
 * generation counter. Everything runs in process context: requests come from
 * the sender's sendmsg(), expiry runs from a delayed work item, and the
 * netlink release notifier is a blocking chain.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/if.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nlrtable.h"

static int protocol = NLRT_PROTOCOL_DEFAULT;
module_param(protocol, int, 0444);
MODULE_PARM_DESC(protocol, "Netlink protocol number (default 31)");

static unsigned int max_entries = 65536;
module_param(max_entries, uint, 0444);
MODULE_PARM_DESC(max_entries, "Most entries the table holds (default 65536)");

#define NLRT_ADDR_MAX 16
#define NLRT_HASH_BITS 12

struct nlrt_key {
	u8 family;
	u8 dst_len;
	u8 dst[NLRT_ADDR_MAX];
};

struct nlrt_watcher {
	struct list_head node;
	u32 portid;
};

struct nlrt_entry {
	struct hlist_node hnode;	/* in nlrt_hash, by key */
	unsigned long id;		/* in nlrt_ids; insertion order */
	struct nlrt_key key;
	u8 gateway[NLRT_ADDR_MAX];
	bool has_gateway;
	bool linked;			/* still in the table */
	char oifname[IFNAMSIZ];
	u32 lifetime_ms;		/* 0: permanent */
	unsigned long expires;		/* jiffies, when lifetime_ms */
	struct delayed_work expire;
	struct list_head watchers;
	unsigned int nwatchers;
};

static DEFINE_MUTEX(nlrt_lock);
static DEFINE_HASHTABLE(nlrt_hash, NLRT_HASH_BITS);
static DEFINE_XARRAY_ALLOC1(nlrt_ids);
static unsigned int nlrt_count;
static unsigned int nlrt_total_watchers;
static u32 nlrt_next_id;
static unsigned int nlrt_gen = 1;	/* bumped by every change */
static atomic_t nlrt_objects = ATOMIC_INIT(0);	/* entries + watchers */
static struct sock *nlrt_sock;

static struct netlink_range_validation nlrt_lifetime_range = {
	.min = 0,
	.max = NLRT_LIFETIME_MAX_MS,
};

static const struct nla_policy nlrt_policy[NLRT_A_MAX + 1] = {
	[NLRT_A_DST] = { .type = NLA_BINARY, .len = NLRT_ADDR_MAX },
	[NLRT_A_GATEWAY] = { .type = NLA_BINARY, .len = NLRT_ADDR_MAX },
	[NLRT_A_OIFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[NLRT_A_LIFETIME_MS] = NLA_POLICY_FULL_RANGE(NLA_U32,
						     &nlrt_lifetime_range),
	[NLRT_A_EXPIRES_MS] = { .type = NLA_REJECT },
	[NLRT_A_WATCHERS] = { .type = NLA_REJECT },
	[NLRT_A_TEXT] = { .type = NLA_NUL_STRING, .len = NLRT_TEXT_MAX },
	[NLRT_A_GREETING] = { .type = NLA_REJECT },
};

static const char nlrt_greeting[] = "Hello from nlrtable";

static int nlrt_addr_len(u8 family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

static u32 nlrt_hash_key(const struct nlrt_key *key)
{
	return jhash(key, sizeof(*key), 0);
}

static struct nlrt_entry *nlrt_lookup(const struct nlrt_key *key)
{
	struct nlrt_entry *e;

	hash_for_each_possible(nlrt_hash, e, hnode, nlrt_hash_key(key))
		if (!memcmp(&e->key, key, sizeof(*key)))
			return e;
	return NULL;
}

static size_t nlrt_entry_size(void)
{
	return NLMSG_ALIGN(sizeof(struct nlrtmsg)) +
	       2 * nla_total_size(NLRT_ADDR_MAX) +	/* DST, GATEWAY */
	       nla_total_size(IFNAMSIZ) +		/* OIFNAME */
	       3 * nla_total_size(sizeof(u32));	/* LIFETIME, EXPIRES, WATCHERS */
}

static int nlrt_fill(struct sk_buff *skb, const struct nlrt_entry *e,
		     u32 portid, u32 seq, int type, u16 flags, u8 reason,
		     struct nlmsghdr **out)
{
	int alen = nlrt_addr_len(e->key.family);
	struct nlmsghdr *nlh;
	struct nlrtmsg *rtm;

	nlh = nlmsg_put(skb, portid, seq, type, sizeof(*rtm), flags);
	if (!nlh)
		return -EMSGSIZE;
	rtm = nlmsg_data(nlh);
	rtm->nrt_family = e->key.family;
	rtm->nrt_dst_len = e->key.dst_len;
	rtm->nrt_reason = reason;
	rtm->nrt_pad = 0;

	if (nla_put(skb, NLRT_A_DST, alen, e->key.dst))
		goto cancel;
	if (e->has_gateway && nla_put(skb, NLRT_A_GATEWAY, alen, e->gateway))
		goto cancel;
	if (e->oifname[0] && nla_put_string(skb, NLRT_A_OIFNAME, e->oifname))
		goto cancel;
	if (nla_put_u32(skb, NLRT_A_WATCHERS, e->nwatchers))
		goto cancel;
	if (e->lifetime_ms) {
		long left = (long)(e->expires - jiffies);

		if (nla_put_u32(skb, NLRT_A_LIFETIME_MS, e->lifetime_ms) ||
		    nla_put_u32(skb, NLRT_A_EXPIRES_MS,
				left > 0 ? jiffies_to_msecs(left) : 0))
			goto cancel;
	}
	nlmsg_end(skb, nlh);
	if (out)
		*out = nlh;
	return 0;

cancel:
	nlmsg_cancel(skb, nlh);
	return -EMSGSIZE;
}

/* Multicast one change. A listener that misses it is told by ENOBUFS. */
static void nlrt_notify(const struct nlrt_entry *e, int type, u16 flags,
			u8 reason)
{
	struct sk_buff *skb;

	skb = nlmsg_new(nlrt_entry_size(), GFP_KERNEL);
	if (!skb)
		goto lost;
	if (nlrt_fill(skb, e, 0, 0, type, flags, reason, NULL)) {
		kfree_skb(skb);
		goto lost;
	}
	/* -ESRCH only says that nobody listens */
	nlmsg_multicast(nlrt_sock, skb, 0, NLRT_GRP_ROUTE, GFP_KERNEL);
	return;

lost:
	netlink_set_err(nlrt_sock, 0, NLRT_GRP_ROUTE, ENOBUFS);
}

/* Frees a watcher of @e; with @count, counts it down too. */
static void nlrt_free_watcher(struct nlrt_entry *e, struct nlrt_watcher *w,
			      bool count)
{
	list_del(&w->node);
	kfree(w);
	atomic_dec(&nlrt_objects);
	if (count) {
		e->nwatchers--;
		nlrt_total_watchers--;
	}
}

/* Tell each watcher that @e is gone, and forget them all. */
static void nlrt_notify_watchers(struct nlrt_entry *e, u8 reason)
{
	struct nlrt_watcher *w, *tmp;
	struct sk_buff *skb;

	list_for_each_entry_safe(w, tmp, &e->watchers, node) {
		skb = nlmsg_new(nlrt_entry_size(), GFP_KERNEL);
		if (skb && !nlrt_fill(skb, e, w->portid, 0, NLRT_MSG_DELROUTE,
				      0, reason, NULL))
			/* consumes skb; a full queue sets ENOBUFS on it */
			nlmsg_unicast(nlrt_sock, skb, w->portid);
		else
			kfree_skb(skb);
		nlrt_free_watcher(e, w, false);
	}
	/* counted down only now: every notification shows the same count */
	nlrt_total_watchers -= e->nwatchers;
	e->nwatchers = 0;
}

static void nlrt_unlink(struct nlrt_entry *e)
{
	hash_del(&e->hnode);
	xa_erase(&nlrt_ids, e->id);
	e->linked = false;
	nlrt_count--;
	nlrt_gen++;
}

/* Free an unlinked entry whose expiry work can no longer run. */
static void nlrt_release(struct nlrt_entry *e)
{
	struct nlrt_watcher *w, *tmp;

	list_for_each_entry_safe(w, tmp, &e->watchers, node)
		nlrt_free_watcher(e, w, true);
	kfree(e);
	atomic_dec(&nlrt_objects);
}

static void nlrt_expire_work(struct work_struct *work)
{
	struct nlrt_entry *e = container_of(to_delayed_work(work),
					    struct nlrt_entry, expire);

	mutex_lock(&nlrt_lock);
	/*
	 * Deleted meanwhile (the deleter waits for us before freeing), made
	 * permanent, or given a later expiry (and queued again): not ours.
	 */
	if (!e->linked || !e->lifetime_ms || time_before(jiffies, e->expires)) {
		mutex_unlock(&nlrt_lock);
		return;
	}
	nlrt_unlink(e);
	/* a replace may have queued us again; nobody can once unlinked */
	cancel_delayed_work(&e->expire);
	nlrt_notify(e, NLRT_MSG_DELROUTE, 0, NLRT_REASON_EXPIRED);
	nlrt_notify_watchers(e, NLRT_REASON_EXPIRED);
	mutex_unlock(&nlrt_lock);
	nlrt_release(e);
}

static void nlrt_set_lifetime(struct nlrt_entry *e, u32 lifetime_ms)
{
	e->lifetime_ms = lifetime_ms;
	if (!lifetime_ms) {
		cancel_delayed_work(&e->expire);
		return;
	}
	e->expires = jiffies + msecs_to_jiffies(lifetime_ms);
	mod_delayed_work(system_wq, &e->expire, msecs_to_jiffies(lifetime_ms));
}

/* Parse the fixed header and attributes; fill @key when it is not NULL. */
static int nlrt_parse(const struct nlmsghdr *nlh, struct nlattr **tb,
		      struct nlrt_key *key, struct netlink_ext_ack *extack)
{
	const struct nlrtmsg *rtm;
	int alen, err, bit;

	err = nlmsg_parse(nlh, sizeof(*rtm), tb, NLRT_A_MAX, nlrt_policy,
			  extack);
	if (err)
		return err;
	rtm = nlmsg_data(nlh);
	if (rtm->nrt_reason || rtm->nrt_pad) {
		NL_SET_ERR_MSG(extack, "Reserved header fields must be zero");
		return -EINVAL;
	}
	if (!key)
		return 0;

	alen = nlrt_addr_len(rtm->nrt_family);
	if (!alen) {
		NL_SET_ERR_MSG(extack, "Family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (rtm->nrt_dst_len > alen * 8) {
		NL_SET_ERR_MSG(extack, "Prefix length too long for the family");
		return -EINVAL;
	}
	if (!tb[NLRT_A_DST]) {
		NL_SET_ERR_MSG(extack, "Missing destination (NLRT_A_DST)");
		return -EINVAL;
	}
	if (nla_len(tb[NLRT_A_DST]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NLRT_A_DST],
				    "Destination length does not match the family");
		return -EINVAL;
	}
	if (tb[NLRT_A_GATEWAY] && nla_len(tb[NLRT_A_GATEWAY]) != alen) {
		NL_SET_ERR_MSG_ATTR(extack, tb[NLRT_A_GATEWAY],
				    "Gateway length does not match the family");
		return -EINVAL;
	}

	memset(key, 0, sizeof(*key));
	key->family = rtm->nrt_family;
	key->dst_len = rtm->nrt_dst_len;
	nla_memcpy(key->dst, tb[NLRT_A_DST], alen);
	for (bit = key->dst_len; bit < alen * 8; bit++) {
		if (key->dst[bit / 8] & (0x80 >> (bit % 8))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[NLRT_A_DST],
					    "Invalid prefix for given prefix length");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Parses a request that names one entry, takes nlrt_lock and finds it. On
 * success the lock is held and *ep is the entry; on error it is not held.
 */
static int nlrt_lock_entry(const struct nlmsghdr *nlh, struct nlattr **tb,
			   struct nlrt_entry **ep,
			   struct netlink_ext_ack *extack)
{
	struct nlrt_key key;
	int err;

	err = nlrt_parse(nlh, tb, &key, extack);
	if (err)
		return err;
	mutex_lock(&nlrt_lock);
	*ep = nlrt_lookup(&key);
	if (!*ep) {
		mutex_unlock(&nlrt_lock);
		NL_SET_ERR_MSG(extack, "No such entry");
		return -ENOENT;
	}
	return 0;
}

static int nlrt_unicast_entry(const struct nlrt_entry *e,
			      const struct sk_buff *skb,
			      const struct nlmsghdr *nlh)
{
	u32 portid = NETLINK_CB(skb).portid;
	struct sk_buff *out;
	int err;

	out = nlmsg_new(nlrt_entry_size(), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	err = nlrt_fill(out, e, portid, nlh->nlmsg_seq, NLRT_MSG_NEWROUTE, 0,
			0, NULL);
	if (err) {
		kfree_skb(out);
		return err;
	}
	return nlmsg_unicast(nlrt_sock, out, portid);
}

static int nlrt_greet(struct sk_buff *skb, struct nlmsghdr *nlh,
		      struct netlink_ext_ack *extack)
{
	u32 portid = NETLINK_CB(skb).portid;
	struct nlattr *tb[NLRT_A_MAX + 1];
	struct nlmsghdr *reply;
	struct nlrtmsg *rtm;
	struct sk_buff *out;
	int err;

	err = nlrt_parse(nlh, tb, NULL, extack);
	if (err)
		return err;

	out = nlmsg_new(NLMSG_ALIGN(sizeof(*rtm)) +
			nla_total_size(sizeof(nlrt_greeting)) +
			nla_total_size(NLRT_TEXT_MAX + 1), GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	reply = nlmsg_put(out, portid, nlh->nlmsg_seq, NLRT_MSG_GREET,
			  sizeof(*rtm), 0);
	if (!reply)
		goto too_big;
	rtm = nlmsg_data(reply);
	memset(rtm, 0, sizeof(*rtm));
	if (nla_put_string(out, NLRT_A_GREETING, nlrt_greeting))
		goto too_big;
	if (tb[NLRT_A_TEXT] &&
	    nla_put(out, NLRT_A_TEXT, nla_len(tb[NLRT_A_TEXT]),
		    nla_data(tb[NLRT_A_TEXT])))
		goto too_big;
	nlmsg_end(out, reply);
	return nlmsg_unicast(nlrt_sock, out, portid);

too_big:
	kfree_skb(out);
	return -EMSGSIZE;
}

static int nlrt_newroute(struct sk_buff *skb, struct nlmsghdr *nlh,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NLRT_A_MAX + 1];
	u32 lifetime_ms = 0;
	bool created = false;
	struct nlrt_entry *e;
	struct nlrt_key key;
	int alen, err = 0;
	u32 id;

	err = nlrt_parse(nlh, tb, &key, extack);
	if (err)
		return err;
	alen = nlrt_addr_len(key.family);
	if (tb[NLRT_A_LIFETIME_MS])
		lifetime_ms = nla_get_u32(tb[NLRT_A_LIFETIME_MS]);

	mutex_lock(&nlrt_lock);
	e = nlrt_lookup(&key);
	if (e) {
		if (nlh->nlmsg_flags & NLM_F_EXCL) {
			NL_SET_ERR_MSG(extack, "Entry exists");
			err = -EEXIST;
			goto unlock;
		}
		if (!(nlh->nlmsg_flags & NLM_F_REPLACE)) {
			NL_SET_ERR_MSG(extack,
				       "Entry exists; NLM_F_REPLACE changes it");
			err = -EEXIST;
			goto unlock;
		}
	} else {
		if (!(nlh->nlmsg_flags & NLM_F_CREATE)) {
			NL_SET_ERR_MSG(extack,
				       "No such entry; NLM_F_CREATE adds it");
			err = -ENOENT;
			goto unlock;
		}
		if (nlrt_count >= max_entries) {
			NL_SET_ERR_MSG(extack, "Table is full (max_entries)");
			err = -ENOSPC;
			goto unlock;
		}
		e = kzalloc(sizeof(*e), GFP_KERNEL);
		if (!e) {
			err = -ENOMEM;
			goto unlock;
		}
		err = xa_alloc_cyclic(&nlrt_ids, &id, e, xa_limit_32b,
				      &nlrt_next_id, GFP_KERNEL);
		if (err < 0) {
			kfree(e);
			goto unlock;
		}
		err = 0;
		atomic_inc(&nlrt_objects);
		e->id = id;
		e->key = key;
		e->linked = true;
		INIT_LIST_HEAD(&e->watchers);
		INIT_DELAYED_WORK(&e->expire, nlrt_expire_work);
		hash_add(nlrt_hash, &e->hnode, nlrt_hash_key(&key));
		nlrt_count++;
		created = true;
	}

	e->has_gateway = !!tb[NLRT_A_GATEWAY];
	memset(e->gateway, 0, sizeof(e->gateway));
	if (e->has_gateway)
		nla_memcpy(e->gateway, tb[NLRT_A_GATEWAY], alen);
	memset(e->oifname, 0, sizeof(e->oifname));
	if (tb[NLRT_A_OIFNAME])
		nla_strscpy(e->oifname, tb[NLRT_A_OIFNAME], sizeof(e->oifname));
	nlrt_set_lifetime(e, lifetime_ms);
	nlrt_gen++;
	nlrt_notify(e, NLRT_MSG_NEWROUTE,
		    created ? NLM_F_CREATE : NLM_F_REPLACE, 0);
unlock:
	mutex_unlock(&nlrt_lock);
	return err;
}

static int nlrt_delroute(struct sk_buff *skb, struct nlmsghdr *nlh,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NLRT_A_MAX + 1];
	struct nlrt_entry *e;
	int err;

	err = nlrt_lock_entry(nlh, tb, &e, extack);
	if (err)
		return err;
	nlrt_unlink(e);
	nlrt_notify(e, NLRT_MSG_DELROUTE, 0, NLRT_REASON_REQUEST);
	nlrt_notify_watchers(e, NLRT_REASON_REQUEST);
	mutex_unlock(&nlrt_lock);

	/* the expiry work sees !linked and leaves; wait for it */
	cancel_delayed_work_sync(&e->expire);
	nlrt_release(e);
	return 0;
}

static int nlrt_getroute(struct sk_buff *skb, struct nlmsghdr *nlh,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[NLRT_A_MAX + 1];
	struct nlrt_entry *e;
	int err;

	err = nlrt_lock_entry(nlh, tb, &e, extack);
	if (err)
		return err;
	err = nlrt_unicast_entry(e, skb, nlh);
	mutex_unlock(&nlrt_lock);
	return err;
}

static int nlrt_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct nlrtmsg *rtm = nlmsg_data(cb->nlh);
	unsigned long index = cb->args[0];
	struct nlrt_entry *e;
	struct nlmsghdr *nlh;

	mutex_lock(&nlrt_lock);
	cb->seq = nlrt_gen;
	xa_for_each_start(&nlrt_ids, index, e, cb->args[0]) {
		if (rtm->nrt_family && e->key.family != rtm->nrt_family)
			continue;
		if (nlrt_fill(skb, e, NETLINK_CB(cb->skb).portid,
			      cb->nlh->nlmsg_seq, NLRT_MSG_NEWROUTE,
			      NLM_F_MULTI, 0, &nlh))
			break;
		nl_dump_check_consistent(cb, nlh);
		cb->args[0] = index + 1;
	}
	mutex_unlock(&nlrt_lock);
	return skb->len;
}

static int nlrt_dump_start(struct sk_buff *skb, struct nlmsghdr *nlh,
			   struct netlink_ext_ack *extack)
{
	struct netlink_dump_control c = { .dump = nlrt_dump };
	struct nlattr *tb[NLRT_A_MAX + 1];
	const struct nlrtmsg *rtm;
	int err;

	err = nlrt_parse(nlh, tb, NULL, extack);
	if (err)
		return err;
	rtm = nlmsg_data(nlh);
	if (rtm->nrt_family && !nlrt_addr_len(rtm->nrt_family)) {
		NL_SET_ERR_MSG(extack, "Family must be AF_UNSPEC, AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (rtm->nrt_dst_len || tb[NLRT_A_DST]) {
		NL_SET_ERR_MSG(extack, "A dump takes no destination");
		return -EINVAL;
	}
	return netlink_dump_start(nlrt_sock, skb, nlh, &c);
}

static int nlrt_watch(struct sk_buff *skb, struct nlmsghdr *nlh,
		      struct netlink_ext_ack *extack, bool watch)
{
	u32 portid = NETLINK_CB(skb).portid;
	struct nlattr *tb[NLRT_A_MAX + 1];
	struct nlrt_watcher *w;
	struct nlrt_entry *e;
	int err;

	err = nlrt_lock_entry(nlh, tb, &e, extack);
	if (err)
		return err;
	list_for_each_entry(w, &e->watchers, node) {
		if (w->portid != portid)
			continue;
		if (!watch)
			nlrt_free_watcher(e, w, true);
		goto unlock;	/* watching twice is watching */
	}
	if (!watch) {
		NL_SET_ERR_MSG(extack, "Not watching this entry");
		err = -ENOENT;
		goto unlock;
	}
	if (e->nwatchers >= NLRT_WATCHERS_MAX) {
		NL_SET_ERR_MSG(extack, "Too many watchers on this entry");
		err = -ENOSPC;
		goto unlock;
	}
	w = kmalloc(sizeof(*w), GFP_KERNEL);
	if (!w) {
		err = -ENOMEM;
		goto unlock;
	}
	atomic_inc(&nlrt_objects);
	w->portid = portid;
	list_add_tail(&w->node, &e->watchers);
	e->nwatchers++;
	nlrt_total_watchers++;
unlock:
	mutex_unlock(&nlrt_lock);
	return err;
}

static int nlrt_rcv_msg(struct sk_buff *skb, struct nlmsghdr *nlh,
			struct netlink_ext_ack *extack)
{
	switch (nlh->nlmsg_type) {
	case NLRT_MSG_GREET:
		return nlrt_greet(skb, nlh, extack);
	case NLRT_MSG_NEWROUTE:
	case NLRT_MSG_DELROUTE:
		if (!netlink_capable(skb, CAP_NET_ADMIN)) {
			NL_SET_ERR_MSG(extack,
				       "Changing the table needs CAP_NET_ADMIN");
			return -EPERM;
		}
		if (nlh->nlmsg_type == NLRT_MSG_NEWROUTE)
			return nlrt_newroute(skb, nlh, extack);
		return nlrt_delroute(skb, nlh, extack);
	case NLRT_MSG_GETROUTE:
		if (nlh->nlmsg_flags & NLM_F_DUMP)
			return nlrt_dump_start(skb, nlh, extack);
		return nlrt_getroute(skb, nlh, extack);
	case NLRT_MSG_WATCH:
		return nlrt_watch(skb, nlh, extack, true);
	case NLRT_MSG_UNWATCH:
		return nlrt_watch(skb, nlh, extack, false);
	default:
		NL_SET_ERR_MSG(extack, "Unknown message type");
		return -EOPNOTSUPP;
	}
}

static void nlrt_input(struct sk_buff *skb)
{
	netlink_rcv_skb(skb, nlrt_rcv_msg);
}

/* A closed socket watches nothing: forget it everywhere. */
static int nlrt_netlink_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;
	struct nlrt_watcher *w, *tmp;
	struct nlrt_entry *e;
	unsigned long index;

	if (event != NETLINK_URELEASE || n->protocol != protocol ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;

	mutex_lock(&nlrt_lock);
	if (!nlrt_total_watchers)
		goto unlock;
	xa_for_each(&nlrt_ids, index, e) {
		list_for_each_entry_safe(w, tmp, &e->watchers, node) {
			if (w->portid == n->portid)
				nlrt_free_watcher(e, w, true);
		}
	}
unlock:
	mutex_unlock(&nlrt_lock);
	return NOTIFY_DONE;
}

static struct notifier_block nlrt_notifier = {
	.notifier_call = nlrt_netlink_event,
};

static int __init nlrt_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.groups = NLRT_GRP_MAX,
		.flags = NL_CFG_F_NONROOT_RECV,
		.input = nlrt_input,
	};
	int err;

	if (protocol < 0 || protocol >= MAX_LINKS) {
		pr_err("protocol %d is out of range 0..%d\n", protocol,
		       MAX_LINKS - 1);
		return -EINVAL;
	}
	nlrt_sock = netlink_kernel_create(&init_net, protocol, &cfg);
	if (!nlrt_sock) {
		pr_err("cannot create netlink protocol %d (in use?)\n",
		       protocol);
		return -EBUSY;
	}
	err = netlink_register_notifier(&nlrt_notifier);
	if (err) {
		netlink_kernel_release(nlrt_sock);
		return err;
	}
	pr_info("loaded: protocol %d, at most %u entries\n", protocol,
		max_entries);
	return 0;
}

static void __exit nlrt_exit(void)
{
	struct nlrt_entry *e;
	unsigned long index;
	HLIST_HEAD(gone);
	int left;

	/* User sockets of our protocol pin the module: none is left. */
	netlink_unregister_notifier(&nlrt_notifier);
	netlink_kernel_release(nlrt_sock);

	mutex_lock(&nlrt_lock);
	xa_for_each(&nlrt_ids, index, e) {
		nlrt_unlink(e);
		hlist_add_head(&e->hnode, &gone);	/* hnode is free now */
	}
	mutex_unlock(&nlrt_lock);

	while (!hlist_empty(&gone)) {
		e = hlist_entry(gone.first, struct nlrt_entry, hnode);
		hlist_del(&e->hnode);
		cancel_delayed_work_sync(&e->expire);
		nlrt_release(e);
	}
	xa_destroy(&nlrt_ids);

	left = atomic_read(&nlrt_objects);
	if (left)
		pr_err("leaked %d objects\n", left);
	else
		pr_info("unloaded, nothing leaked\n");
}

module_init(nlrt_init);
module_exit(nlrt_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Routing table managed over netlink, with change events and watches");
MODULE_AUTHOR("netlink-ts");
