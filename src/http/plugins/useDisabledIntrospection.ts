import { type FieldNode, GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** Refuses `__schema` and `__type` when introspection is switched off by configuration. */
export function useDisabledIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule((context: ValidationContext) => ({
        Field(node: FieldNode) {
          if (node.name.value === '__schema' || node.name.value === '__type') {
            context.reportError(
              new GraphQLError('Introspection is disabled on this server.', { nodes: [node] }),
            );
          }
        },
      }));
    },
  };
}
