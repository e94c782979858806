// The bridge the preload exposes as `window.angel`, typed from the IPC contract so the renderer's
// client infers every channel's input and output. Types only: the renderer imports nothing at runtime
// from here.
import type { Channel, ChannelInput, ChannelOutput, EventName, EventPayload } from '../shared/ipc/contract';
import type { Result } from '../shared/result';

export interface AngelApi {
  /** Resolves to a Result in every case, including a refused channel or sender. */
  invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<Result<ChannelOutput<C>>>;
  /** Subscribes to a push event; returns the unsubscriber. Throws for an event not in the contract. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

declare global {
  interface Window {
    angel: AngelApi;
  }
}
