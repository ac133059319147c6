/** Every string of the planner workbench (/planner), keys pl.*; Chinese in planner.zh.ts, same keys. */
import type plannerZh from './planner.zh.ts';
const plannerEn: typeof plannerZh = {
  pl: {
    heading: 'Planning workbench',
  },
};
export default plannerEn;
