/* GET /metrics of arus serve: Prometheus text exposition format 0.0.4. */
#ifndef ARUS_SERVE_METRICS_H
#define ARUS_SERVE_METRICS_H

struct arus_strbuf;
struct serve;

/* Append every metric of s to out (takes s->mu). Names and the list: README "Running as a
 * service". */
void serve_metrics_render(struct serve *s, struct arus_strbuf *out);

#endif
