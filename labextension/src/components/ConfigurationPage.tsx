/**
 * The Configuration page: the variables, secrets (write-only) and storage
 * configurations flows read at run time (docs/configuration.md).
 */
import React from 'react';

import { IOrchModel } from '../tokens';
import { ITransProps } from './common';
import { SecretsSection } from './config/SecretsSection';
import { StorageSection } from './config/StorageSection';
import { VariablesSection } from './config/VariablesSection';

export function ConfigurationPage(
  props: { model: IOrchModel } & ITransProps
): JSX.Element {
  const { model, trans } = props;
  return (
    <div className="jp-Orch-fullPage" data-testid="orch-configuration-page">
      <header className="jp-Orch-pageHeader">
        <h1>{trans.__('Configuration')}</h1>
      </header>
      <VariablesSection model={model} trans={trans} />
      <SecretsSection model={model} trans={trans} />
      <StorageSection model={model} trans={trans} />
    </div>
  );
}
