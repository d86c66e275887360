/** Cache keys of product reads; writers invalidate through the same names. */
export const productCacheKeys = {
  itemVersion: (id: string) => `products:item:${id}:version`,
  listVersion: 'products:list:version',
  item: (id: string, audience: string) => ({ key: `products:item:${id}:${audience}`, versionKey: productCacheKeys.itemVersion(id) }),
  list(query: Record<string, string>) {
    const normalised = new URLSearchParams(Object.entries(query).sort(([a], [b]) => a.localeCompare(b))).toString();
    return { key: `products:list:${normalised}`, versionKey: productCacheKeys.listVersion };
  },
};
