# cover on Debian 12, set up as the README says (untested: no Docker where this was written).
#   docker build -t cover .
#   docker run --rm -v "$PWD/runs:/cover/runs" cover cotrain --preset tiny --demo tiny --steps 2
FROM debian:bookworm

# Node 20 from NodeSource's Debian repository (Debian 12's own nodejs is 18). Its deb puts the Node headers in
# /usr/include/node, where scripts/node_gyp.js builds native/ and av/ against them without downloading anything.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && mkdir -p /etc/apt/keyrings \
 && curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor -o /etc/apt/keyrings/nodesource.gpg \
 && echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" > /etc/apt/sources.list.d/nodesource.list \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /cover
COPY . .
# The Debian packages cover needs (ffmpeg, OpenBLAS, g++/make/python3, libtorch, FFmpeg's -dev libraries, ...), then
# npm's packages (npm ci builds native/, torch/ and av/), then dist/.
RUN bash scripts/setup.sh && rm -rf /var/lib/apt/lists/*
RUN npm ci --no-audit --no-fund && npm run build

ENTRYPOINT ["node", "bin/cover.js"]
CMD ["doctor"]
