/* Baseline for the sip_parse bench: a full sofia-sip parse of one message,
 * reading every header the stack would look at. Built only when pkg-config
 * finds sofia-sip-ua (Debian: libsofia-sip-ua-dev). */
#include <stddef.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

int heron_sofia_parse(const char *data, size_t len)
{
    msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)len);
    if (msg == NULL)
        return -1;
    sip_t const *sip = sip_object(msg);
    int n = 0;
    if (sip != NULL) {
        for (sip_via_t const *v = sip->sip_via; v; v = v->v_next)
            n += v->v_branch != NULL;
        n += sip->sip_from && sip->sip_from->a_tag;
        n += sip->sip_to && sip->sip_to->a_url->url_host;
        n += sip->sip_call_id && sip->sip_call_id->i_id;
        n += sip->sip_cseq ? (int)(sip->sip_cseq->cs_seq & 1) : 0;
        for (sip_contact_t const *m = sip->sip_contact; m; m = m->m_next)
            n += m->m_url->url_host != NULL;
        for (sip_record_route_t const *r = sip->sip_record_route; r; r = r->r_next)
            n += r->r_url->url_host != NULL;
        for (sip_route_t const *r = sip->sip_route; r; r = r->r_next)
            n += r->r_url->url_host != NULL;
        n += sip->sip_max_forwards != NULL;
        n += sip->sip_content_type != NULL;
        n += sip->sip_content_length ? (int)(sip->sip_content_length->l_length & 1) : 0;
        n += sip->sip_www_authenticate != NULL;
        n += sip->sip_authorization != NULL;
        n += sip->sip_allow != NULL;
        n += sip->sip_supported != NULL;
        n += sip->sip_user_agent != NULL;
        n += sip->sip_payload ? (int)(sip->sip_payload->pl_len & 1) : 0;
    }
    msg_destroy(msg);
    return n;
}
