import { LabIcon } from '@jupyterlab/ui-components';

import orchSvg from '../style/icons/orch.svg';

/** Sidebar and command icon: three boxes wired as a small flow graph. */
export const orchIcon = new LabIcon({
  name: 'jupyter-orch:orch',
  svgstr: orchSvg
});
