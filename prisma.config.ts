// Prisma 7 configuration. The datasource URL is only needed by Prisma CLI commands that talk
// to a database (`prisma migrate deploy` where its engine exists); `prisma generate` needs none.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/gnomon' },
});
