/** 规划工作台（/planner）的全部文字，键 pl.*；英文在 planner.en.ts，键相同。 */
const plannerZh = {
  pl: {
    heading: '规划工作台',
  },
};
export default plannerZh;
