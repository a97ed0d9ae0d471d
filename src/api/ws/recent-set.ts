/**
 * A set that keeps only its `capacity` most recently added members. Used where forgetting a member
 * only costs a larger message later (a delta sent with every field), never a wrong one.
 */
export interface RecentSet {
  add(value: string): void;
  has(value: string): boolean;
  delete(value: string): void;
  readonly size: number;
}

export function createRecentSet(capacity: number): RecentSet {
  const members = new Set<string>();
  return {
    add(value) {
      members.delete(value);
      members.add(value);
      if (members.size > capacity) members.delete(members.values().next().value as string);
    },
    has(value) {
      return members.has(value);
    },
    delete(value) {
      members.delete(value);
    },
    get size() {
      return members.size;
    },
  };
}
