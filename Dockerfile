# The cellops worker and alarm gateway (see temporal-dev.yml): `npm run worker` or `npm run gateway`.
FROM node:20.20.2-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly, so the runtime dependencies are all it needs.
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
USER node
CMD ["npm", "run", "worker"]
