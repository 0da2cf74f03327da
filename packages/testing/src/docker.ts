/**
 * Whether testcontainers can reach a container runtime. Only called on fallback paths, so machines
 * with local PostgreSQL / nats-server never load testcontainers at all.
 */
export async function dockerReachable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
