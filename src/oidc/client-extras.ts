import type { PortaClientExtras } from '../clients/index.js';

/**
 * Porta's own fields of an engine client (`extraClientMetadata.properties: ['porta']`), which the engine
 * keeps as the client's `porta` property. Read on every token request: `client.metadata()` would rebuild
 * the snake_case name of every field of the client on each call.
 */
export function portaOf(client: object | null | undefined): Partial<PortaClientExtras> | undefined {
  return (client as { porta?: Partial<PortaClientExtras> } | null | undefined)?.porta;
}
