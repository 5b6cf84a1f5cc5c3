#!/bin/sh
# Stands in for the official nginx image's entrypoint (the parts
# docker/compose.yaml uses): NGINX_LOCAL_RESOLVERS from /etc/resolv.conf when
# NGINX_ENTRYPOINT_LOCAL_RESOLVERS is set (15-local-resolvers.envsh), then
# each /etc/nginx/templates/*.template rendered into conf.d with envsubst of
# the defined variables only (20-envsubst-on-templates.sh).
set -eu
if [ -n "${NGINX_ENTRYPOINT_LOCAL_RESOLVERS:-}" ]; then
  NGINX_LOCAL_RESOLVERS=$(awk 'BEGIN{ORS=" "} $1=="nameserver" {if ($2 ~ ":") {print "["$2"]"} else {print $2}}' /etc/resolv.conf)
  export NGINX_LOCAL_RESOLVERS
fi
defined=$(env | cut -d= -f1 | sed 's/.*/${&}/' | tr '\n' ' ')
for template in /etc/nginx/templates/*.template; do
  [ -f "$template" ] || continue
  envsubst "$defined" <"$template" >"/etc/nginx/conf.d/$(basename "$template" .template)"
done
exec "$@"
